/**
 * The shape of an alert before it becomes a Prometheus rule, and the one place where every alert
 * gets its `runbook_url`, so no alert can ship without a runbook heading.
 */
import type { Context } from '../context.ts';

/** `none`: an alert that is no incident (Watchdog), routed to its own receiver. */
export type AlertSeverity = 'critical' | 'warning' | 'none';

export interface AlertDef {
  /** Alert name; a warning and a critical level of the same condition share it (inhibition). */
  name: string;
  severity: AlertSeverity;
  /** The `service` label notifications are grouped by; may be a template such as `{{ $labels.job }}`. */
  service: string;
  expr: string;
  for: string;
  /** Fixed text: the same for every firing instance, so notifications group and read well. */
  summary: string;
  /** Templated text with the value formatted (`{{ printf "%.2f" $value }}`). */
  description: string;
  /** Extra labels (routing hints such as `active: business-hours`). */
  labels?: Record<string, string>;
}

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  /** severity and service always; SLO alerts add slo, slo_severity, long, short and owner. */
  labels: { severity: AlertSeverity; service: string; [label: string]: string };
  annotations: { summary: string; description: string; runbook_url: string; dashboard_url?: string };
}

/** The dashboard an alert links to, and the dashboard variables its labels fill in. */
export interface DashboardLink {
  uid: string;
  /** Variables named like the labels that fill them (`instance` → `var-instance={{ $labels.instance }}`). */
  vars: readonly string[];
}

/**
 * `<grafanaUrl>/d/<uid>?var-x={{ $labels.x }}...`: the dashboard filtered to the alert's labels (a
 * variable whose label the alert lacks stays at its default).
 */
export function dashboardUrl(ctx: Context, link: DashboardLink): string {
  const vars = link.vars.map((v) => `{{ with $labels.${v} }}&var-${v}={{ . | urlquery }}{{ end }}`).join('');
  return `${ctx.config.alertmanager.grafanaUrl}/d/${link.uid}?orgId=1${vars}`;
}

/** A rule group as Prometheus reads it. */
export interface RuleGroup<R> {
  name: string;
  rules: R[];
}

/**
 * The anchor GitHub gives a Markdown heading: lower case, punctuation dropped, spaces to hyphens.
 * `## AskProAIApiLatencyHigh` → `askproaiapilatencyhigh`.
 */
export function githubAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

export function toRule(ctx: Context, def: AlertDef, dashboard?: DashboardLink): AlertRule {
  return {
    alert: def.name,
    expr: def.expr,
    for: def.for,
    labels: { severity: def.severity, service: def.service, ...def.labels },
    annotations: {
      summary: def.summary,
      description: def.description,
      runbook_url: `${ctx.config.runbookBaseUrl}#${githubAnchor(def.name)}`,
      ...(dashboard ? { dashboard_url: dashboardUrl(ctx, dashboard) } : {}),
    },
  };
}

/** `{{ printf "%.2f" $value }}` */
export const value2 = '{{ printf "%.2f" $value }}';
/** `{{ printf "%.0f" $value }}` */
export const value0 = '{{ printf "%.0f" $value }}';
