/**
 * promtool tests of the SLO rules, four scenarios per SLO (SRE workbook, chapter 5):
 * - a total outage after an hour of good traffic pages within 5 minutes;
 * - a slow burn at 2x the budget rate opens a ticket (1x over 3d and 6h) and never pages;
 * - errors at 0.9x the budget rate raise nothing;
 * - no traffic at all (flat counters, or no series) raises nothing.
 * The expected burn-rate factors and budget shares are written out here, not derived from config.
 */
import type { Context } from '../context.ts';
import { SLO_DASHBOARD_UID, sloAlertName } from '../slo/rules.ts';
import { type SloSpec, sloSpecs } from '../slo/specs.ts';
import { fmt, type InputSeries, RUNBOOK } from './cases.ts';

/** A stretch of traffic: `minutes` minutes with `good` and `bad` events per minute. */
interface Stretch {
  minutes: number;
  good: number;
  bad: number;
}

/** Cumulative counter values (promtool notation) over consecutive stretches, from 0. */
function cumulative(stretches: readonly Stretch[], perMinute: (s: Stretch) => number): string {
  const parts: string[] = [];
  let value = 0;
  stretches.forEach((s, i) => {
    const r = perMinute(s);
    if (i === 0) {
      parts.push(`0+${r}x${s.minutes}`);
      value = r * s.minutes;
    } else {
      parts.push(`${value + r}+${r}x${s.minutes - 1}`);
      value += r * s.minutes;
    }
  });
  return parts.join(' ');
}

const APP = { job: 'askproai', instance: 'app-1:3000' };
const good = (s: Stretch) => s.good;
const bad = (s: Stretch) => s.bad;
const all = (s: Stretch) => s.good + s.bad;
const flat = (minutes: number) => `0x${minutes}`;

/** Input series that carry `stretches` of good and bad events for one SLO, plus excluded noise. */
const traffic: Record<string, (stretches: readonly Stretch[], minutes: number) => InputSeries[]> = {
  'api-availability': (st, minutes) => {
    const l = { ...APP, method: 'POST', endpoint: '/api/bookings' };
    return [
      { series: `askproai_http_requests_total${fmt({ ...l, status: '201' })}`, values: cumulative(st, good) },
      { series: `askproai_http_requests_total${fmt({ ...l, status: '500' })}`, values: cumulative(st, bad) },
      // A flood of unauthenticated requests (401s): not events, so it neither dilutes an outage nor
      // counts as served.
      {
        series: `askproai_http_requests_total${fmt({ ...APP, method: 'GET', endpoint: '/api/companies', status: '401' })}`,
        values: `0+1000x${minutes}`,
      },
      // Demo failures and unrouted requests are not part of the SLO.
      {
        series: `askproai_http_requests_total${fmt({ ...APP, method: 'GET', endpoint: '/api/fail', status: '500' })}`,
        values: `0+50x${minutes}`,
      },
      {
        series: `askproai_http_requests_total${fmt({ ...APP, method: 'GET', endpoint: 'unmatched', status: '503' })}`,
        values: `0+50x${minutes}`,
      },
    ];
  },
  'api-latency': (st, minutes) => {
    const l = { ...APP, method: 'POST', endpoint: '/api/bookings', status: '201' };
    const slow = { ...APP, method: 'GET', endpoint: '/api/demo/slow', status: '200' };
    const dribble = { ...APP, method: 'POST', endpoint: '/api/webhooks/retell', status: '401' };
    const h = 'askproai_http_request_duration_seconds';
    return [
      // Prometheus 3 stores the integer edges as `1.0`; 0.5 stays `0.5`.
      { series: `${h}_bucket${fmt({ ...l, le: '0.5' })}`, values: cumulative(st, good) },
      { series: `${h}_bucket${fmt({ ...l, le: '+Inf' })}`, values: cumulative(st, all) },
      { series: `${h}_count${fmt(l)}`, values: cumulative(st, all) },
      { series: `${h}_bucket${fmt({ ...slow, le: '0.5' })}`, values: flat(minutes) },
      { series: `${h}_count${fmt(slow)}`, values: `0+50x${minutes}` },
      // Unsigned bodies sent one byte at a time, answered 401 after seconds: the client's time, not ours.
      { series: `${h}_bucket${fmt({ ...dribble, le: '0.5' })}`, values: flat(minutes) },
      { series: `${h}_count${fmt(dribble)}`, values: `0+50x${minutes}` },
    ];
  },
  'webhook-success': (st, minutes) => {
    const l = { ...APP, provider: 'retell', event: 'call_ended' };
    return [
      {
        series: `askproai_webhooks_total${fmt({ ...l, status: 'processed' })}`,
        values: cumulative(st, good),
      },
      { series: `askproai_webhooks_total${fmt({ ...l, status: 'failed' })}`, values: cumulative(st, bad) },
      // Unsigned requests anyone can send: not events of the SLO.
      {
        series: `askproai_webhooks_total${fmt({ ...APP, provider: 'retell', event: 'unknown', status: 'rejected' })}`,
        values: `0+100x${minutes}`,
      },
    ];
  },
  'booking-pipeline': (st) => {
    const l = { ...APP, provider: 'calcom', event: 'BOOKING_CREATED' };
    return [
      {
        series: `askproai_webhooks_total${fmt({ ...l, status: 'processed' })}`,
        values: cumulative(st, good),
      },
      { series: `askproai_webhooks_total${fmt({ ...l, status: 'failed' })}`, values: cumulative(st, bad) },
    ];
  },
};

/** Factor and budget share of each window pair, from the SRE workbook's table. */
const WORKBOOK: Record<string, { factor: string; share: string; severity: 'page' | 'ticket' }> = {
  '1h/5m': { factor: '14.4', share: '2', severity: 'page' },
  '6h/30m': { factor: '6', share: '5', severity: 'page' },
  '1d/2h': { factor: '3', share: '10', severity: 'ticket' },
  '3d/6h': { factor: '1', share: '10', severity: 'ticket' },
};

const pct = (ratio: number) => String(Number((ratio * 100).toPrecision(6)));

function expectedAlert(ctx: Context, spec: SloSpec, long: string, short: string, value: string) {
  const w = WORKBOOK[`${long}/${short}`]!;
  const by: Record<string, string> = spec.by.includes('provider')
    ? { provider: spec.name === 'webhook-success' ? 'retell' : 'calcom' }
    : {};
  const prefix = Object.values(by).length > 0 ? `${Object.values(by).join(' ')}: ` : '';
  return {
    exp_labels: {
      slo: spec.name,
      ...by,
      severity: w.severity === 'page' ? 'critical' : 'warning',
      service: 'askproai',
      slo_severity: w.severity,
      long,
      short,
      owner: spec.owner,
    },
    exp_annotations: {
      summary: `The ${spec.name} SLO burns its error budget ${w.factor}x too fast.`,
      description: `${prefix}${value} of the events failed over the last ${short}, and over ${long} too (objective ${pct(spec.objective)}%, budget ${pct(1 - spec.objective)}% over 30d; at ${w.factor}x, ${w.share}% of the budget is gone in ${long}).`,
      runbook_url: `${RUNBOOK}#${sloAlertName(spec).toLowerCase()}`,
      dashboard_url: `${ctx.config.alertmanager.grafanaUrl}/d/${SLO_DASHBOARD_UID}?orgId=1&var-slo=${spec.name}`,
    },
  };
}

const TOTAL = 1000;
/** Minutes of the slow-burn scenarios: past the 3h for: of the slowest ticket. */
const LONG = 190;

function sloTests(ctx: Context, spec: SloSpec): Record<string, unknown>[] {
  const build = traffic[spec.name];
  if (!build)
    throw new Error(`SLO ${spec.name}: no promtool traffic defined in src/monitoring/rule-tests/slo.ts`);
  const budget = 1 - spec.objective;
  const alertname = sloAlertName(spec);
  const round = (v: number) => Number(v.toPrecision(10));
  const burn = (x: number): Stretch[] => [
    { minutes: LONG, good: round(TOTAL - x * budget * TOTAL), bad: round(x * budget * TOTAL) },
  ];
  const twoX = pct(2 * budget);
  return [
    {
      name: `${spec.name}: a total outage after an hour of good traffic pages within 5 minutes`,
      interval: '1m',
      input_series: build(
        [
          { minutes: 60, good: TOTAL, bad: 0 },
          { minutes: 6, good: 0, bad: TOTAL },
        ],
        66,
      ),
      alert_rule_test: [
        { eval_time: '60m', alertname, exp_alerts: [] },
        { eval_time: '65m', alertname, exp_alerts: [expectedAlert(ctx, spec, '1h', '5m', '100%')] },
      ],
    },
    {
      name: `${spec.name}: a 2x slow burn opens a ticket and never pages`,
      interval: '1m',
      input_series: build(burn(2), LONG),
      alert_rule_test: [
        { eval_time: '30m', alertname, exp_alerts: [] },
        // The 1x ticket holds for 3h: it fires 181 minutes in, and nothing else ever does.
        { eval_time: '180m', alertname, exp_alerts: [] },
        { eval_time: `${LONG}m`, alertname, exp_alerts: [expectedAlert(ctx, spec, '3d', '6h', `${twoX}%`)] },
      ],
    },
    {
      name: `${spec.name}: errors at 0.9x the budget rate raise nothing`,
      interval: '1m',
      input_series: build(burn(0.9), LONG),
      alert_rule_test: [
        { eval_time: '30m', alertname, exp_alerts: [] },
        { eval_time: `${LONG}m`, alertname, exp_alerts: [] },
      ],
    },
    {
      name: `${spec.name}: no traffic at all raises nothing`,
      interval: '1m',
      input_series: build([{ minutes: 70, good: 0, bad: 0 }], 70).filter(
        (s) => !/fail|slow|unmatched/.test(s.series),
      ),
      alert_rule_test: [
        { eval_time: '5m', alertname, exp_alerts: [] },
        { eval_time: '70m', alertname, exp_alerts: [] },
      ],
    },
  ];
}

export function sloRuleTests(ctx: Context, specs: readonly SloSpec[] = sloSpecs): Record<string, unknown> {
  return {
    rule_files: ['../rules/slo.yml'],
    evaluation_interval: '1m',
    group_eval_order: ['askproai.slo.recording', 'askproai.slo.alerts'],
    tests: [
      ...specs.flatMap((s) => sloTests(ctx, s)),
      {
        name: 'no series at all raises no SLO alert',
        interval: '1m',
        input_series: [],
        alert_rule_test: specs.map((s) => ({ eval_time: '70m', alertname: sloAlertName(s), exp_alerts: [] })),
      },
    ],
  };
}
