/**
 * The service level objectives, declared next to the catalog they measure. Each SLO names its events
 * by catalog metric and label matchers only; the recording rules, burn-rate alerts, promtool tests
 * and the error-budget dashboard are generated from these specs (src/monitoring/slo/rules.ts).
 *
 * This module imports only the catalog and the monitoring config, so the running service can import
 * it (the live view shows these SLOs) without any generator or development dependency.
 */
import { catalog, HTTP_BUCKETS, type WebhookStatus } from '../../metrics/catalog.ts';
import type { MetricDef } from '../../metrics/core/types.ts';
import { monitoringConfig } from '../config.ts';

/** A set of events: a counter (or a histogram's `_count`/one bucket) with label matchers. */
export interface EventSelector {
  metric: MetricDef;
  /** PromQL label matchers, e.g. `status=~"5.."`; joined with the job matcher. */
  matchers: readonly string[];
  /** For histograms: `count` (every observation) or the bucket at `le` (observations at or below it). */
  series?: { kind: 'count' } | { kind: 'bucket'; le: number };
}

export interface SloSpec {
  /** Stable id (`[a-z0-9-]+`): the `slo` label of every rule and alert. */
  name: string;
  /** What is promised, for people. */
  description: string;
  /**
   * Share of good events, 0 < objective < 1 (0.999 is "99.9 %"). High enough that the fastest page
   * catches a total outage within config.slo.outageDetection (checked by the generator).
   */
  objective: number;
  /** Period the error budget is measured over (config.slo.period). */
  period: string;
  /** Team paged or ticketed. */
  owner: string;
  /** Which alert levels notify: a page (critical) and/or a ticket (warning). */
  notify: { page: boolean; ticket: boolean };
  /** Labels the SLO is evaluated per (one budget per provider, ...); empty for one budget overall. */
  by: readonly string[];
  /**
   * The SLI as events: `bad` / `total`, or `good` / `total` (the error ratio is then 1 - good/total).
   * Both selectors must select the same kind of events, so the ratio lies in 0..1.
   */
  sli: { total: EventSelector } & ({ bad: EventSelector } | { good: EventSelector });
}

const quote = JSON.stringify;
/** Application requests: no unmatched (scanner) routes and no demo endpoints. */
const apiRequests = monitoringConfig.selectors.api;
/** Requests the service answers for: client errors (4xx) last as long as the client makes them last. */
const served = monitoringConfig.selectors.served;
/** The latency SLO's edge: a bucket edge of the HTTP histogram (checked below). */
const LATENCY_SECONDS = 0.5;
if (!(HTTP_BUCKETS as readonly number[]).includes(LATENCY_SECONDS)) {
  throw new Error(`SLO api-latency: ${LATENCY_SECONDS} s is not a bucket edge of the HTTP histogram`);
}

const period = monitoringConfig.slo.period;
/**
 * Webhook outcomes that count as handled, and those that spend the budget. Only deliveries that passed
 * the signature check are events: anyone can send unsigned requests (`rejected`), so counting them
 * would let a stranger spend the budget and page. Bodies refused before their signature could be checked
 * (over the body limit, aborted halfway) count as `rejected` too. A rotated secret (every delivery rejected) raises
 * AskProAIWebhooksRejected instead. `unknown_tenant` is neither good nor bad.
 */
const WEBHOOK_GOOD: readonly WebhookStatus[] = ['processed', 'success', 'duplicate'];
const WEBHOOK_BAD: readonly WebhookStatus[] = ['failed', 'invalid'];

export const sloSpecs: readonly SloSpec[] = [
  {
    name: 'api-availability',
    description:
      '99.9 % of API requests (routed, no demo endpoints, not refused as client errors) answer without a server error.',
    objective: 0.999,
    period,
    owner: 'platform',
    notify: { page: true, ticket: true },
    by: [],
    sli: {
      bad: {
        metric: catalog.httpRequestsTotal,
        matchers: [apiRequests, monitoringConfig.selectors.serverErrors],
      },
      // Client errors are not events: a flood of unauthenticated 401s would dilute a real outage.
      total: { metric: catalog.httpRequestsTotal, matchers: [apiRequests, served] },
    },
  },
  {
    name: 'api-latency',
    description: `99.8 % of API requests (routed, no demo endpoints, not client errors) are answered within ${LATENCY_SECONDS} s.`,
    objective: 0.998,
    period,
    owner: 'platform',
    notify: { page: true, ticket: true },
    by: [],
    sli: {
      good: {
        metric: catalog.httpRequestDuration,
        matchers: [apiRequests, served],
        series: { kind: 'bucket', le: LATENCY_SECONDS },
      },
      // A client error lasts as long as its client makes it last (a body sent one byte at a time).
      total: {
        metric: catalog.httpRequestDuration,
        matchers: [apiRequests, served],
        series: { kind: 'count' },
      },
    },
  },
  {
    name: 'webhook-success',
    description:
      '99.8 % of signed webhook deliveries per provider are processed (or recognised as duplicates); failed and invalid deliveries spend the budget.',
    objective: 0.998,
    period,
    owner: 'integrations',
    notify: { page: true, ticket: true },
    by: ['provider'],
    sli: {
      bad: { metric: catalog.webhooksTotal, matchers: [`status=~${quote(WEBHOOK_BAD.join('|'))}`] },
      total: {
        metric: catalog.webhooksTotal,
        matchers: [`status=~${quote([...WEBHOOK_GOOD, ...WEBHOOK_BAD].join('|'))}`],
      },
    },
  },
  {
    name: 'booking-pipeline',
    description:
      '99.8 % of Cal.com booking deliveries that pass the signature check are applied without failure.',
    objective: 0.998,
    period,
    owner: 'integrations',
    notify: { page: true, ticket: true },
    by: [],
    sli: {
      bad: { metric: catalog.webhooksTotal, matchers: ['provider="calcom"', 'status="failed"'] },
      total: {
        metric: catalog.webhooksTotal,
        matchers: ['provider="calcom"', `status=~${quote([...WEBHOOK_GOOD, 'failed'].join('|'))}`],
      },
    },
  },
];
