/**
 * "AskProAI System": the spec's dashboard with its six panels (API p95 response time, request-rate
 * gauge, queue sizes over time, database connections, bookings today, error rate %), then
 * per-endpoint breakdowns, background work and the runtime of each instance.
 */
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { catalog } from '../../metrics/catalog.ts';
import type { Context } from '../context.ts';
import {
  aggregate,
  eq,
  external,
  num,
  orZero,
  perMinute,
  quantile,
  rate,
  re,
  sel,
  sumBy,
} from '../promql.ts';
import { recordedNames } from '../rules/recording.ts';
import { dashboard, finish, gauge, labelVariable, stat, timeseries } from './common.ts';

export const SYSTEM_TITLE = 'AskProAI System';

/** Titles of the six panels the spec lists; the tests check that each returns data. */
export const SPEC_PANELS = [
  'API Response Time (p95)',
  'Request Rate',
  'Queue Sizes',
  'Database Connections',
  'Bookings Today',
  'Error Rate',
] as const;

export function systemDashboard(ctx: Context) {
  const { n, job, config } = ctx;
  const t = config.thresholds;
  const r = recordedNames(ctx);
  const inst = re('instance', '$instance');
  const w = '$__rate_interval';
  const api = config.selectors.api;
  const requests = (...m: string[]) => sel(n.of(catalog.httpRequestsTotal), job, inst, api, ...m);
  const cluster = (def: Parameters<typeof aggregate>[0], by: string[]) =>
    aggregate(def, by, sel(n.of(def), job));
  // Recorded series carry no exemplars: a second query on the raw buckets (the same p95) fetches the
  // trace ids, drawn as points that link to the trace.
  const traced = (def: Parameters<typeof quantile>[1], by: string[], matchers: (string | undefined)[]) => ({
    expr: quantile(n, def, config.quantile, by, matchers, w),
    legend: by.length === 0 ? 'p95 (traces)' : `{{${by[0]}}} (traces)`,
    exemplar: true,
  });
  const [p95, reqRate, queues, dbConns, bookingsToday, errorRate] = SPEC_PANELS;

  const b = dashboard(ctx, SYSTEM_TITLE, 'Service health: the SLAs of the platform at a glance.')
    .withVariable(labelVariable(ctx, 'instance', 'instance', sel(external.up, job), 'Instance'))
    .withRow(new RowBuilder('Overview'))
    .withPanel(
      timeseries(ctx, {
        title: p95,
        description: `95th percentile of API response time across all instances (${config.windows.rate} window); dashed lines are the warning and critical SLAs.`,
        unit: units.Seconds,
        queries: [{ expr: r.apiLatency, legend: 'p95' }, traced(catalog.httpRequestDuration, [], [job, api])],
        steps: [
          [t.apiLatencyWarningSeconds, 'orange'],
          [t.apiLatencyCriticalSeconds, 'red'],
        ],
      }),
    )
    .withPanel(
      gauge(ctx, {
        title: reqRate,
        description: 'Requests per second answered by the selected instances.',
        unit: units.RequestsPerSecond,
        queries: [{ expr: orZero(sumBy([], rate(requests(), w))), legend: 'req/s' }],
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: queues,
        description: 'Jobs waiting per queue (platform-wide; 0 until a collector reports).',
        unit: units.Short,
        queries: [{ expr: orZero(cluster(catalog.queueSize, ['queue'])), legend: '{{queue}}' }],
        steps: [[t.queueSize, 'red']],
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: dbConns,
        description:
          'Connections open on the database server and its max_connections (0 until a collector reports).',
        unit: units.Short,
        queries: [
          { expr: orZero(cluster(catalog.databaseConnections, [])), legend: 'open' },
          { expr: cluster(catalog.databaseMaxConnections, []), legend: 'max_connections' },
        ],
      }),
    )
    .withPanel(
      stat(ctx, {
        title: bookingsToday,
        description: 'Bookings created since local midnight, all statuses.',
        unit: units.Short,
        queries: [
          { expr: orZero(sumBy([], cluster(catalog.bookingsToday, ['status']))), legend: 'bookings' },
        ],
      }),
    )
    .withPanel(
      stat(ctx, {
        title: errorRate,
        description: 'Share of API requests answered with a server error (5xx).',
        unit: units.Percent,
        queries: [
          {
            expr: orZero(
              `100 * ${sumBy([], rate(requests(config.selectors.serverErrors), w))} / (${sumBy([], rate(requests(), w))} > 0)`,
            ),
            legend: 'errors',
          },
        ],
        steps: [[t.errorRatio * 100, 'red']],
      }),
    )
    .withRow(new RowBuilder('Endpoints'))
    .withPanel(
      timeseries(ctx, {
        title: 'p95 response time by endpoint',
        description: 'Route templates, never raw URLs; unrouted requests are left out.',
        unit: units.Seconds,
        queries: [
          { expr: r.apiLatencyByEndpoint, legend: '{{endpoint}}' },
          traced(catalog.httpRequestDuration, ['endpoint'], [job, api]),
        ],
        steps: [[t.apiLatencyCriticalSeconds, 'red']],
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Requests by endpoint and status',
        description: 'Status 499: the client went away before the answer.',
        unit: units.RequestsPerSecond,
        queries: [
          { expr: sumBy(['endpoint', 'status'], rate(requests(), w)), legend: '{{endpoint}} {{status}}' },
        ],
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Server errors by endpoint',
        description: 'Requests answered 5xx per second.',
        unit: units.RequestsPerSecond,
        queries: [
          {
            expr: orZero(sumBy(['endpoint'], rate(requests(config.selectors.serverErrors), w))),
            legend: '{{endpoint}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Application errors by type',
        description: 'Errors the application recorded, by type and severity.',
        unit: units.OpsPerMinute,
        queries: [
          {
            expr: orZero(
              sumBy(['type', 'severity'], perMinute(sel(n.of(catalog.errorsTotal), job, inst), w)),
            ),
            legend: '{{type}} ({{severity}})',
          },
        ],
      }),
    )
    .withRow(new RowBuilder('Background work'))
    .withPanel(
      timeseries(ctx, {
        title: 'Webhook processing p95 by provider',
        description: `SLA ${num(t.webhookSeconds)} s.`,
        unit: units.Seconds,
        queries: [
          { expr: r.webhookLatency, legend: '{{provider}}' },
          traced(catalog.webhookProcessingDuration, ['provider'], [job]),
        ],
        steps: [[t.webhookSeconds, 'red']],
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Admin page load p95 by page',
        description: `Measured in the browser; SLA ${num(t.adminPageLoadSeconds)} s.`,
        unit: units.Seconds,
        queries: [{ expr: r.adminPageLoad, legend: '{{page}}' }],
        steps: [[t.adminPageLoadSeconds, 'red']],
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Database query time p95',
        description: `SLA ${num(t.queryTimeSeconds)} s (slow queries per minute are in their own panel).`,
        unit: units.Seconds,
        queries: [{ expr: r.queryTime, legend: 'p95' }],
        steps: [[t.queryTimeSeconds, 'red']],
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Queue jobs by state',
        description: 'Platform-wide job counts per queue and state.',
        unit: units.Short,
        queries: [
          { expr: orZero(cluster(catalog.queueJobs, ['queue', 'state'])), legend: '{{queue}} {{state}}' },
        ],
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Job run time p95 by queue',
        description: `Jobs over ${num(t.jobTimeoutSeconds)} s count as timeouts.`,
        unit: units.Seconds,
        queries: [
          {
            expr: quantile(n, catalog.queueJobDuration, config.quantile, ['queue'], [job, inst], w),
            legend: '{{queue}}',
          },
        ],
        steps: [[t.jobTimeoutSeconds, 'red']],
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Job timeouts and slow queries per minute',
        description: `Jobs that ran past ${num(t.jobTimeoutSeconds)} s, and database queries at or above the slow-query threshold.`,
        unit: units.OpsPerMinute,
        queries: [
          {
            expr: orZero(sumBy(['queue'], perMinute(sel(n.of(catalog.queueJobTimeouts), job, inst), w))),
            legend: 'timeouts {{queue}}',
          },
          {
            expr: orZero(
              sumBy(['operation'], perMinute(sel(n.of(catalog.databaseSlowQueries), job, inst), w)),
            ),
            legend: 'slow {{operation}}',
          },
        ],
        span: 24,
      }),
    )
    .withPanel(
      stat(ctx, {
        title: 'Active tenants',
        description: 'Companies with an active account.',
        unit: units.Short,
        queries: [{ expr: cluster(catalog.activeTenants, []), legend: 'tenants' }],
      }),
    )
    .withPanel(
      stat(ctx, {
        title: 'Collector age',
        description: 'Seconds since each scheduled collector last succeeded.',
        unit: units.Seconds,
        queries: [
          {
            expr: `time() - ${cluster(catalog.metricsCollectionLastSuccess, ['collector'])}`,
            legend: '{{collector}}',
          },
        ],
        steps: [[t.collectionStaleSeconds, 'red']],
        span: 18,
      }),
    )
    .withRow(new RowBuilder('Instances'))
    .withPanel(
      timeseries(ctx, {
        title: 'Resident memory',
        description: 'Per instance.',
        unit: units.BytesIEC,
        queries: [{ expr: sel(n.of(catalog.processResidentMemory), job, inst), legend: '{{instance}}' }],
        span: 8,
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'CPU',
        description: 'CPU seconds per second, per instance.',
        unit: units.Short,
        queries: [{ expr: rate(sel(n.of(catalog.processCpuSeconds), job, inst), w), legend: '{{instance}}' }],
        span: 8,
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Event loop lag p99',
        description: 'Per instance; a busy event loop delays every request.',
        unit: units.Seconds,
        queries: [{ expr: sel(n.of(catalog.nodejsEventloopLagP99), job, inst), legend: '{{instance}}' }],
        span: 8,
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Scrape health',
        description: 'Targets Prometheus can scrape (1) or not (0).',
        unit: units.Short,
        queries: [{ expr: sel(external.up, eq('job', config.jobs.service), inst), legend: '{{instance}}' }],
        span: 12,
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Label values folded or altered',
        description:
          'Recordings folded into the overflow series or altered by the label guard (PII, length).',
        unit: units.OpsPerMinute,
        queries: [
          {
            expr: orZero(sumBy(['metric'], perMinute(sel(n.of(catalog.metricsLabelOverflow), job, inst), w))),
            legend: 'overflow {{metric}}',
          },
          {
            expr: orZero(
              sumBy(['metric', 'reason'], perMinute(sel(n.of(catalog.metricsDroppedLabels), job, inst), w)),
            ),
            legend: '{{reason}} {{metric}}',
          },
        ],
        span: 12,
      }),
    );
  return finish(b);
}
