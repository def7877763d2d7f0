/**
 * The committed `promtool test rules` files (observability/prometheus/tests/*.test.yml), generated so
 * that `promtool test rules observability/prometheus/tests/*.yml` runs on any machine with Prometheus:
 * - alerts.test.yml: the hand-written cases of every alert (cases.ts);
 * - slo.test.yml: per SLO, a total outage pages within 5 minutes, a 2x slow burn opens a ticket and
 *   never pages, 0.9x of the budget and no traffic at all raise nothing (slo.ts).
 * Rule files are named relative to the test file, as promtool resolves them.
 */
import { alertGroups } from '../alerts/index.ts';
import type { Context } from '../context.ts';
import { type AlertCase, alertCases, type ExpectedAlert } from './cases.ts';
import { sloRuleTests } from './slo.ts';

export const RULE_TESTS_DIR = 'observability/prometheus/tests';

/**
 * The dashboard each alert links to, written out by hand (the generators derive it from the alert's
 * component): `[uid, variables]`.
 */
const DASHBOARD_OF: Record<string, [uid: string, vars: string[]]> = {
  AskProAIApiLatencyHigh: ['askproai-api-endpoints', ['instance', 'endpoint']],
  AskProAIHighErrorRate: ['askproai-api-endpoints', ['instance', 'endpoint']],
  AskProAIHttpRequestsUnanswered: ['askproai-api-endpoints', ['instance', 'endpoint']],
  AskProAIWebhooksRejected: ['askproai-business', []],
  AskProAIWebhooksFailing: ['askproai-business', []],
  AskProAINoCalls: ['askproai-business', []],
  AskProAINoBookings: ['askproai-business', []],
  AskProAICallsDropped: ['askproai-business', []],
  AskProAIBookingsDropped: ['askproai-business', []],
  HostMemoryHigh: ['askproai-host', ['instance']],
  HostCpuHigh: ['askproai-host', ['instance']],
  HostDiskFull: ['askproai-host', ['instance']],
};
const SYSTEM: [string, string[]] = ['askproai-system', ['instance']];

function withDashboard(ctx: Context, alert: string, e: ExpectedAlert): ExpectedAlert {
  const [uid, vars] = DASHBOARD_OF[alert] ?? SYSTEM;
  const query = vars
    .filter((v) => e.exp_labels[v] !== undefined)
    .map((v) => `&var-${v}=${encodeURIComponent(e.exp_labels[v]!)}`)
    .join('');
  return {
    ...e,
    exp_annotations: {
      ...e.exp_annotations,
      dashboard_url: `${ctx.config.alertmanager.grafanaUrl}/d/${uid}?orgId=1${query}`,
    },
  };
}

function caseTests(ctx: Context, c: AlertCase) {
  const fireAt = c.activeAt + c.forMinutes;
  const interval = c.interval ?? '1m';
  const expected = c.expected.map((e) => withDashboard(ctx, c.alert, e));
  const step = Number.parseInt(interval, 10);
  const before =
    c.forMinutes > 0 || c.activeAt > 0
      ? [{ eval_time: `${fireAt - step}m`, alertname: c.alert, exp_alerts: [] }]
      : [];
  const tests: Record<string, unknown>[] = [
    {
      name: `${c.alert}: fires once for: has passed, not a minute earlier`,
      interval,
      input_series: c.above,
      alert_rule_test: [...before, { eval_time: `${fireAt}m`, alertname: c.alert, exp_alerts: expected }],
    },
  ];
  if (c.below !== null) {
    tests.push({
      name: `${c.alert}: stays silent below the threshold`,
      interval,
      input_series: c.below,
      alert_rule_test: [
        { eval_time: `${fireAt}m`, alertname: c.alert, exp_alerts: [] },
        { eval_time: `${fireAt + 11 * step}m`, alertname: c.alert, exp_alerts: [] },
      ],
    });
  }
  return tests;
}

/**
 * A test file for the given cases, all of one sample interval (promtool evaluates every rule at every
 * step, so the week-long inputs of the week-over-week alerts get a file with a 10-minute step).
 */
export function alertRuleTests(
  ctx: Context,
  cases: readonly AlertCase[] = alertCases.filter((c) => (c.interval ?? '1m') === '1m'),
  interval = '1m',
): Record<string, unknown> {
  return {
    rule_files: ['../rules/recording.yml', '../rules/alerts.yml'],
    evaluation_interval: interval,
    // Recording rules first, so an alert sees the quantile of the same evaluation.
    group_eval_order: ['askproai.recording', ...alertGroups(ctx).map((g) => g.name)],
    tests: cases.flatMap((c) => caseTests(ctx, c)),
  };
}

/** Every committed test file, relative path → content object. */
export function ruleTestFiles(ctx: Context): Map<string, Record<string, unknown>> {
  return new Map([
    [`${RULE_TESTS_DIR}/alerts.test.yml`, alertRuleTests(ctx)],
    [
      `${RULE_TESTS_DIR}/alerts-weekly.test.yml`,
      alertRuleTests(
        ctx,
        alertCases.filter((c) => c.interval === '10m'),
        '10m',
      ),
    ],
    [`${RULE_TESTS_DIR}/slo.test.yml`, sloRuleTests(ctx)],
  ]);
}
