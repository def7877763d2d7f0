/**
 * The API SLAs: p95 response time (warning and critical) and the share of server errors; and requests
 * a stalled handler leaves unanswered, which neither sees (their clients give up: 499s).
 */
import { catalog } from '../../metrics/catalog.ts';
import { DEFAULTS } from '../../metrics/defaults.ts';
import type { Context } from '../context.ts';
import { num, percent, sel, sumBy } from '../promql.ts';
import { recordedNames } from '../rules/recording.ts';
import { type AlertDef, value2 } from './alert.ts';

export function apiAlerts(ctx: Context): AlertDef[] {
  const { config, n, job } = ctx;
  const t = config.thresholds;
  const r = recordedNames(ctx);
  const p = `p${num(config.quantile * 100)}`;
  const latency = (severity: 'warning' | 'critical', threshold: number): AlertDef => ({
    name: 'AskProAIApiLatencyHigh',
    severity,
    service: config.jobs.service,
    expr: `${r.apiLatency} > ${num(threshold)}`,
    for: config.for.apiLatency,
    summary: `API ${p} response time is above its SLA.`,
    description: `The API ${p} response time of {{ $labels.job }} is ${value2} s over the last ${config.windows.rate} (${severity} above ${num(threshold)} s).`,
  });
  const errorRate = (severity: 'warning' | 'critical', threshold: number): AlertDef => ({
    name: 'AskProAIHighErrorRate',
    severity,
    service: config.jobs.service,
    expr: `${r.errorRatio} > ${num(threshold)}`,
    for: severity === 'critical' ? config.for.outage : config.for.errorRate,
    summary: 'Too many API requests fail with a server error.',
    description: `{{ $value | humanizePercentage }} of the API requests of {{ $labels.job }} (client errors aside) answered 5xx over the last ${config.windows.rate} (${severity} above ${percent(threshold)}%).`,
  });
  // Aborted requests are 499s, which no latency or error alert counts; a request counts here only
  // while the service's own handler has not answered it, so no client can raise (or forge) it.
  const unanswered = (severity: 'warning' | 'critical', threshold: number): AlertDef => ({
    name: 'AskProAIHttpRequestsUnanswered',
    severity,
    service: config.jobs.service,
    expr: `${sumBy(['job', 'endpoint'], sel(n.of(catalog.httpRequestsUnanswered), job, config.selectors.api))} >= ${num(threshold)}`,
    for: config.for.unanswered,
    summary: 'A request handler has stalled: requests get no answer at all.',
    description: `{{ $value }} requests to {{ $labels.endpoint }} of {{ $labels.job }} got no answer for longer than the service's threshold after their clients gave up (METRICS_UNANSWERED_AFTER_MS, default ${DEFAULTS.httpUnansweredAfterMs / 1000} s; the handler never responded; ${severity} from ${num(threshold)}).`,
  });
  return [
    latency('warning', t.apiLatencyWarningSeconds),
    latency('critical', t.apiLatencyCriticalSeconds),
    errorRate('warning', t.errorRatio),
    // Most requests failing is an outage: critical, so it reaches e-mail and not only Slack.
    errorRate('critical', t.errorRatioCritical),
    // One stuck request is worth a look (warning); several on a route page.
    unanswered('warning', t.unansweredWarning),
    unanswered('critical', t.unansweredCritical),
  ];
}
