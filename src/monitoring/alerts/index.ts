/** Every alert rule, grouped by component. */
import type { Context } from '../context.ts';
import { type AlertDef, type AlertRule, type DashboardLink, type RuleGroup, toRule } from './alert.ts';
import { apiAlerts } from './api.ts';
import { businessAlerts } from './business.ts';
import { databaseAlerts } from './database.ts';
import { errorAlerts } from './errors.ts';
import { funnelAlerts } from './funnel.ts';
import { monitoringAlerts } from './monitoring.ts';
import { queueAlerts } from './queue.ts';
import { remoteWriteAlerts } from './remote-write.ts';
import { systemAlerts } from './system.ts';

/** Dashboards alerts link to (uids are derived from the dashboard titles). */
export const alertDashboards = {
  system: { uid: 'askproai-system', vars: ['instance'] },
  red: { uid: 'askproai-api-endpoints', vars: ['instance', 'endpoint'] },
  business: { uid: 'askproai-business', vars: [] },
  host: { uid: 'askproai-host', vars: ['instance'] },
  slo: { uid: 'askproai-slo-error-budgets', vars: ['slo'] },
} as const satisfies Record<string, DashboardLink>;

const components: [string, (ctx: Context) => AlertDef[], DashboardLink][] = [
  ['askproai.api', apiAlerts, alertDashboards.red],
  ['askproai.business', businessAlerts, alertDashboards.system],
  ['askproai.funnel', funnelAlerts, alertDashboards.business],
  ['askproai.database', databaseAlerts, alertDashboards.system],
  ['askproai.queue', queueAlerts, alertDashboards.system],
  ['askproai.errors', errorAlerts, alertDashboards.system],
  ['host', systemAlerts, alertDashboards.host],
  ['monitoring', monitoringAlerts, alertDashboards.system],
  ['prometheus.remote-write', remoteWriteAlerts, alertDashboards.system],
];

/** The alert rule groups, one per component, each rule with its runbook_url and dashboard_url. */
export function alertGroups(ctx: Context): RuleGroup<AlertRule>[] {
  return components.map(([name, build, dashboard]) => ({
    name,
    rules: build(ctx).map((def) => toRule(ctx, def, dashboard)),
  }));
}

/** Distinct alert names, in rule order (the runbook needs one heading each). */
export function alertNames(ctx: Context): string[] {
  return [...new Set(alertGroups(ctx).flatMap((g) => g.rules.map((r) => r.alert)))];
}
