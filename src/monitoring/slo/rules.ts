/**
 * SLO specs → Prometheus rules, in the shape Sloth and Pyrra generate:
 * - `slo:sli_error:ratio_rate<window>` per SLO and window (5m ... 3d), labelled `slo` and `slo_window`;
 * - metadata: `slo:objective:ratio`, `slo:error_budget:ratio`, `slo:time_period:days`,
 *   `slo:sli_error:ratio_rate<period>` (the mean of the 5m ratio over the period, as Sloth does),
 *   `slo:current_burn_rate:ratio`, `slo:period_burn_rate:ratio`, `slo:period_error_budget_remaining:ratio`;
 * - multiwindow, multi-burn-rate alerts (SRE workbook): a long AND a short window above
 *   `factor * (1 - objective)`, where factor = budgetShare * period / long window (never typed by hand).
 */
import { fullName } from '../../metrics/catalog.ts';
import type { AlertRule, RuleGroup } from '../alerts/alert.ts';
import { dashboardUrl, githubAnchor } from '../alerts/alert.ts';
import { durationSeconds } from '../capacity.ts';
import type { Context } from '../context.ts';
import { le, num, percent, rate, sel, sumBy } from '../promql.ts';
import type { RecordingRule } from '../rules/recording.ts';
import { type EventSelector, type SloSpec, sloSpecs } from './specs.ts';

export interface LabelledRecordingRule extends RecordingRule {
  labels: Record<string, string>;
}

/** One burn-rate alert level of one SLO: the windows, factor and threshold it compares against. */
export interface BurnRateWindow {
  severity: 'page' | 'ticket';
  long: string;
  short: string;
  /** Burn-rate factor: budgetShare × period / long. */
  factor: number;
  /** factor × (1 - objective): the error ratio both windows must exceed. */
  threshold: number;
  for: string;
}

/** The error-budget dashboard (src/monitoring/dashboards/slo.ts); its uid comes from its title. */
export const SLO_DASHBOARD_UID = 'askproai-slo-error-budgets';

const SLO_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** The SLI error-ratio recording rule of a window: `slo:sli_error:ratio_rate5m`. */
export const sliErrorRecord = (window: string): string => `slo:sli_error:ratio_rate${window}`;

export const sloRecords = {
  objective: 'slo:objective:ratio',
  errorBudget: 'slo:error_budget:ratio',
  periodDays: 'slo:time_period:days',
  currentBurnRate: 'slo:current_burn_rate:ratio',
  periodBurnRate: 'slo:period_burn_rate:ratio',
  budgetRemaining: 'slo:period_error_budget_remaining:ratio',
} as const;

/** `AskProAISloBurn` + the SLO name in PascalCase: `api-availability` → `AskProAISloBurnApiAvailability`. */
export function sloAlertName(spec: SloSpec): string {
  const pascal = spec.name
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
  return `AskProAISloBurn${pascal}`;
}

/** Checks every spec (throws naming each bad one) and returns the burn-rate windows of `spec`. */
export function burnRateWindows(ctx: Context, spec: SloSpec): BurnRateWindow[] {
  const period = durationSeconds(spec.period);
  return ctx.config.slo.alerts.map((a) => {
    const factor = Number(((a.budgetShare * period) / durationSeconds(a.long)).toPrecision(10));
    return {
      severity: a.severity,
      long: a.long,
      short: a.short,
      factor,
      threshold: Number((factor * (1 - spec.objective)).toPrecision(10)),
      for: a.for,
    };
  });
}

export function validateSloSpecs(ctx: Context, specs: readonly SloSpec[]): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const s of specs) {
    if (!SLO_NAME.test(s.name)) problems.push(`${s.name}: name must be lower-case words joined by "-"`);
    if (seen.has(s.name)) problems.push(`${s.name}: declared twice`);
    seen.add(s.name);
    if (!(s.objective > 0 && s.objective < 1))
      problems.push(`${s.name}: objective must lie between 0 and 1, got ${s.objective}`);
    for (const w of ctx.config.slo.alerts) {
      for (const d of [w.long, w.short]) {
        if (!ctx.config.slo.windows.includes(d))
          problems.push(`${s.name}: alert window ${d} is not among slo.windows`);
      }
      if (durationSeconds(w.long) > durationSeconds(s.period))
        problems.push(`${s.name}: alert window ${w.long} is longer than the period ${s.period}`);
    }
    const pages = burnRateWindows(ctx, s).filter((w) => w.severity === 'page');
    const detect = Math.min(
      ...pages.map((w) => w.threshold * durationSeconds(w.long) + durationSeconds(w.for)),
    );
    const limit = durationSeconds(ctx.config.slo.outageDetection);
    if (s.notify.page && !(detect <= limit - durationSeconds(ctx.config.intervals.scrape) * 2))
      problems.push(
        `${s.name}: objective ${s.objective} pages a total outage only after ${Math.round(detect)} s (limit ${ctx.config.slo.outageDetection}); raise the objective or shorten for:`,
      );
    const selectors = [s.sli.total, 'bad' in s.sli ? s.sli.bad : s.sli.good];
    for (const e of selectors) {
      if (e.metric.type === 'histogram' && e.series === undefined)
        problems.push(`${s.name}: ${e.metric.name} is a histogram; say which series (count or bucket)`);
      if (e.metric.type !== 'histogram' && e.metric.type !== 'counter')
        problems.push(`${s.name}: ${e.metric.name} is a ${e.metric.type}; SLI events must be counters`);
      if (e.series?.kind === 'bucket' && !(e.metric.buckets ?? []).includes(e.series.le))
        problems.push(`${s.name}: ${e.series.le} is not a bucket edge of ${e.metric.name}`);
    }
  }
  if (problems.length > 0) throw new Error(`Invalid SLO specs:\n  ${problems.join('\n  ')}`);
}

function eventRate(ctx: Context, spec: SloSpec, e: EventSelector, window: string): string {
  const { n, job } = ctx;
  let name = fullName(e.metric, n.namespace);
  const matchers = [job, ...e.matchers];
  if (e.series?.kind === 'count') name = n.count(e.metric);
  if (e.series?.kind === 'bucket') {
    name = n.bucket(e.metric);
    matchers.push(le(e.series.le));
  }
  return sumBy(spec.by, rate(sel(name, ...matchers), window));
}

/** The SLI error ratio of `spec` over `window` (no traffic gives NaN: no alert, no false budget). */
export function sliErrorRatio(ctx: Context, spec: SloSpec, window: string): string {
  const total = eventRate(ctx, spec, spec.sli.total, window);
  if ('bad' in spec.sli) return `(${eventRate(ctx, spec, spec.sli.bad, window)}) / (${total})`;
  return `1 - ((${eventRate(ctx, spec, spec.sli.good, window)}) / (${total}))`;
}

const sloMatcher = (spec: SloSpec) => `slo=${JSON.stringify(spec.name)}`;

function recordingFor(ctx: Context, spec: SloSpec): LabelledRecordingRule[] {
  const labels = { slo: spec.name };
  const slis = ctx.config.slo.windows.map(
    (w): LabelledRecordingRule => ({
      record: sliErrorRecord(w),
      expr: sliErrorRatio(ctx, spec, w),
      labels: { ...labels, slo_window: w },
    }),
  );
  const m = sloMatcher(spec);
  const base = sliErrorRecord(ctx.config.slo.windows[0]!);
  const days = durationSeconds(spec.period) / 86_400;
  return [
    ...slis,
    {
      // Sloth's period SLI: the mean of the 5m ratio over the whole period (cheap, and it keeps
      // counting across restarts).
      record: sliErrorRecord(spec.period),
      expr: `sum_over_time(${base}{${m}}[${spec.period}]) / ignoring (slo_window) count_over_time(${base}{${m}}[${spec.period}])`,
      labels: { ...labels, slo_window: spec.period },
    },
    { record: sloRecords.objective, expr: `vector(${num(spec.objective)})`, labels },
    { record: sloRecords.errorBudget, expr: `vector(${num(1 - spec.objective)})`, labels },
    { record: sloRecords.periodDays, expr: `vector(${num(days)})`, labels },
    {
      record: sloRecords.currentBurnRate,
      expr: `${base}{${m}} / on (slo) group_left ${sloRecords.errorBudget}{${m}}`,
      labels,
    },
    {
      record: sloRecords.periodBurnRate,
      expr: `${sliErrorRecord(spec.period)}{${m}} / on (slo) group_left ${sloRecords.errorBudget}{${m}}`,
      labels,
    },
    { record: sloRecords.budgetRemaining, expr: `1 - ${sloRecords.periodBurnRate}{${m}}`, labels },
  ];
}

function alertsFor(ctx: Context, spec: SloSpec): AlertRule[] {
  const m = sloMatcher(spec);
  const severityOf = ctx.config.slo.routing;
  const budget = 1 - spec.objective;
  const per = spec.by.map((l) => `{{ $labels.${l} }}`).join(' ');
  return burnRateWindows(ctx, spec)
    .filter((w) => spec.notify[w.severity])
    .map((w) => {
      const above = (window: string) => `${sliErrorRecord(window)}{${m}} > ${num(w.factor)} * ${num(budget)}`;
      return {
        alert: sloAlertName(spec),
        // Short AND long window: quick to fire, quick to reset once the errors stop.
        expr: `max without (slo_window) (${above(w.short)}) and max without (slo_window) (${above(w.long)})`,
        for: w.for,
        labels: {
          severity: severityOf[w.severity],
          service: ctx.config.jobs.service,
          slo: spec.name,
          slo_severity: w.severity,
          long: w.long,
          short: w.short,
          owner: spec.owner,
        },
        annotations: {
          summary: `The ${spec.name} SLO burns its error budget ${num(w.factor)}x too fast.`,
          description: `${per ? `${per}: ` : ''}{{ $value | humanizePercentage }} of the events failed over the last ${w.short}, and over ${w.long} too (objective ${percent(spec.objective)}%, budget ${percent(budget)}% over ${spec.period}; at ${num(w.factor)}x, ${percent((w.factor * durationSeconds(w.long)) / durationSeconds(spec.period))}% of the budget is gone in ${w.long}).`,
          runbook_url: `${ctx.config.runbookBaseUrl}#${githubAnchor(sloAlertName(spec))}`,
          dashboard_url: dashboardUrl(ctx, { uid: SLO_DASHBOARD_UID, vars: ['slo'] }),
        },
      };
    });
}

/** The SLO rule groups: every SLI and metadata recording rule first, then the burn-rate alerts. */
export function sloRuleGroups(
  ctx: Context,
  specs: readonly SloSpec[] = sloSpecs,
): RuleGroup<LabelledRecordingRule | AlertRule>[] {
  validateSloSpecs(ctx, specs);
  return [
    { name: 'askproai.slo.recording', rules: specs.flatMap((s) => recordingFor(ctx, s)) },
    { name: 'askproai.slo.alerts', rules: specs.flatMap((s) => alertsFor(ctx, s)) },
  ];
}
