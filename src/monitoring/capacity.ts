/**
 * The capacity plan (docs/capacity.md), computed from the catalog: each metric's expected label
 * sets (from its closed label value sets and the planning assumptions in config.ts), its hard cap
 * (`maxSeries`), the series both give per instance, and the Prometheus disk that follows.
 */
import {
  ADMIN_PAGES,
  BOOKING_SOURCES,
  BOOKING_STATUSES,
  CALL_STATUSES,
  catalog,
  type MetricKey,
  POOL_STATES,
  QUERY_OPERATIONS,
  QUEUE_JOB_OUTCOMES,
  QUEUE_JOB_STATES,
  SEVERITIES,
  WEBHOOK_PROVIDERS,
  WEBHOOK_STATUSES,
} from '../metrics/catalog.ts';
import { DEFAULT_MAX_SERIES } from '../metrics/core/registry.ts';
import type { MetricDef } from '../metrics/core/types.ts';
import type { Context } from './context.ts';

/** Label-value alterations the label guard counts (see metrics/core/labels.ts DropReason). */
const DROP_REASONS = 5;
const CATALOG_METRICS = Object.keys(catalog).length;

/**
 * Expected label sets per metric and instance. Typed over every catalog key: a new metric does not
 * compile until it has a line here.
 */
function expectedLabelSets(ctx: Context): Record<MetricKey, number> {
  const c = ctx.config.capacity;
  const http = c.routes * c.methodsPerRoute * c.statusesPerRoute;
  return {
    httpRequestsTotal: http,
    httpRequestDuration: http,
    // Only routes with stalled handlers get a series; bounded by the routes.
    httpRequestsUnanswered: c.routes,
    bookingsTotal: BOOKING_STATUSES.length * BOOKING_SOURCES.length,
    callsTotal: CALL_STATUSES.length * c.tenants,
    webhooksTotal: WEBHOOK_PROVIDERS.length * c.webhookEvents * WEBHOOK_STATUSES.length,
    webhookProcessingDuration: WEBHOOK_PROVIDERS.length * c.webhookEvents,
    adminPageLoad: ADMIN_PAGES.length,
    queueSize: c.queues,
    queueJobs: c.queues * QUEUE_JOB_STATES.length,
    databaseConnections: 1,
    databaseMaxConnections: 1,
    databasePoolConnections: POOL_STATES.length,
    activeTenants: 1,
    bookingsToday: BOOKING_STATUSES.length,
    errorsTotal: c.errorTypes * SEVERITIES.length,
    databaseQueryDuration: QUERY_OPERATIONS.length,
    databaseSlowQueries: QUERY_OPERATIONS.length,
    queueJobsProcessed: c.queues * QUEUE_JOB_OUTCOMES.length,
    queueJobDuration: c.queues,
    queueJobWait: c.queues,
    queueJobTimeouts: c.queues,
    metricsCollectionDuration: c.collectors,
    metricsCollectionErrors: c.collectors,
    metricsCollectionLastSuccess: c.collectors,
    metricsLabelOverflow: CATALOG_METRICS,
    metricsDroppedLabels: CATALOG_METRICS * DROP_REASONS,
    processCpuUserSeconds: 1,
    processCpuSystemSeconds: 1,
    processCpuSeconds: 1,
    processStartTime: 1,
    processResidentMemory: 1,
    processOpenFds: 1,
    processMaxFds: 1,
    nodejsEventloopLag: 1,
    nodejsEventloopLagP99: 1,
    nodejsEventloopLagMax: 1,
    nodejsActiveResources: 10,
    nodejsHeapSizeTotal: 1,
    nodejsHeapSizeUsed: 1,
    nodejsExternalMemory: 1,
    nodejsHeapSpaceSizeUsed: 9,
    nodejsVersionInfo: 1,
    buildInfo: 1,
    nodejsGcDuration: 4,
  };
}

export interface MetricBudget {
  name: string;
  type: MetricDef['type'];
  /** Series one label set produces: 1, or buckets + 1 (+Inf) + _sum + _count for a histogram. */
  seriesPerSet: number;
  expectedSets: number;
  cap: number;
  expectedSeries: number;
  /** The cap plus its overflow series, times series per set: what the label guard allows at most. */
  maxSeries: number;
}

export interface CapacityPlan {
  metrics: MetricBudget[];
  instances: number;
  perInstance: { expected: number; max: number };
  exporters: number;
  total: { expected: number; max: number };
  scrapeSeconds: number;
  retentionDays: number;
  bytesPerSample: number;
  bytesPerDay: { expected: number; max: number };
  bytesAtRetention: { expected: number; max: number };
}

/** Seconds in a Prometheus duration such as `15s`, `1h30m` or `15d`. */
export function durationSeconds(duration: string): number {
  const unit: Record<string, number> = {
    ms: 0.001,
    s: 1,
    m: 60,
    h: 3600,
    d: 86_400,
    w: 604_800,
    y: 31_536_000,
  };
  let total = 0;
  for (const [, n, u] of duration.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(n) * unit[u!]!;
  if (total === 0) throw new Error(`not a duration: ${duration}`);
  return total;
}

export function capacityPlan(ctx: Context): CapacityPlan {
  const c = ctx.config.capacity;
  const expected = expectedLabelSets(ctx);
  const metrics = (Object.keys(catalog) as MetricKey[]).map((key): MetricBudget => {
    const def: MetricDef = catalog[key];
    const seriesPerSet = def.type === 'histogram' ? (def.buckets?.length ?? 0) + 3 : 1;
    const cap = def.maxSeries ?? DEFAULT_MAX_SERIES;
    // A metric without labels has exactly one set and no overflow series.
    const capped = def.labels.length === 0 ? 1 : cap + 1;
    // Not clamped: a plan expecting more label sets than the cap allows is a wrong plan (or a wrong
    // cap), and the capacity test says so.
    const sets = expected[key];
    return {
      name: `${ctx.config.namespace}_${def.name}`,
      type: def.type,
      seriesPerSet,
      expectedSets: sets,
      cap: def.labels.length === 0 ? 1 : cap,
      expectedSeries: sets * seriesPerSet,
      maxSeries: capped * seriesPerSet,
    };
  });
  const sum = (f: (m: MetricBudget) => number) => metrics.reduce((acc, m) => acc + f(m), 0);
  const perInstance = { expected: sum((m) => m.expectedSeries), max: sum((m) => m.maxSeries) };
  const exporters = Object.values(c.exporterSeries).reduce((a, b) => a + b, 0);
  const total = {
    expected: perInstance.expected * c.instances + exporters,
    max: perInstance.max * c.instances + exporters,
  };
  const scrapeSeconds = durationSeconds(ctx.config.intervals.scrape);
  const retentionDays = durationSeconds(ctx.config.storage.retentionTime) / 86_400;
  const perDay = (series: number) => (series * 86_400 * c.bytesPerSample) / scrapeSeconds;
  const bytesPerDay = { expected: perDay(total.expected), max: perDay(total.max) };
  return {
    metrics,
    instances: c.instances,
    perInstance,
    exporters,
    total,
    scrapeSeconds,
    retentionDays,
    bytesPerSample: c.bytesPerSample,
    bytesPerDay,
    bytesAtRetention: {
      expected: bytesPerDay.expected * retentionDays,
      max: bytesPerDay.max * retentionDays,
    },
  };
}

/** 1234567 → `1,234,567` (no locale data involved, so the output is the same everywhere). */
export function thousands(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Bytes in binary units with one decimal: `1.5 GiB`. */
export function bytes(n: number): string {
  const unitsList = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < unitsList.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${unitsList[i]}`;
}

export function capacityMarkdown(ctx: Context, header: string): string {
  const p = capacityPlan(ctx);
  const c = ctx.config.capacity;
  const s = ctx.config.storage;
  const rows = p.metrics.map(
    (m) =>
      `| \`${m.name}\` | ${m.type} | ${m.seriesPerSet} | ${thousands(m.expectedSets)} | ${thousands(m.cap)} | ${thousands(m.expectedSeries)} | ${thousands(m.maxSeries)} |`,
  );
  const needsRemote = p.total.max > c.remoteStorageSeries;
  return `${header}
# Capacity plan

How many series the platform's metrics create, and the disk Prometheus needs for them. Every number
below is computed from \`src/metrics/catalog.ts\` (label sets, histogram buckets, \`maxSeries\` caps) and
the planning assumptions in \`src/monitoring/config.ts\` (\`capacity\`), so it changes when they do.

## Assumptions

| assumption | value |
|---|---|
| service instances scraped | ${c.instances} |
| route templates × methods × status codes | ${c.routes} × ${c.methodsPerRoute} × ${c.statusesPerRoute} |
| tenants with calls | ${thousands(c.tenants)} |
| queues | ${c.queues} |
| webhook event types per provider | ${c.webhookEvents} |
| application error types | ${c.errorTypes} |
| scrape interval | ${ctx.config.intervals.scrape} |
| retention (\`PROMETHEUS_RETENTION_TIME\` default) | ${s.retentionTime} |
| retention size cap (\`PROMETHEUS_RETENTION_SIZE\` default) | ${s.retentionSize} |
| bytes per sample on disk | ${c.bytesPerSample} (Prometheus documents 1-2 after compression) |

## Series per metric and instance

*Expected* is what the assumptions produce; *at most* is what the label guard lets through: the cap
(\`maxSeries\`, default ${thousands(DEFAULT_MAX_SERIES)} label sets) plus one \`__overflow__\` set, times the series
per label set (a histogram writes one series per bucket, plus \`+Inf\`, \`_sum\` and \`_count\`).

| metric | type | series per label set | expected label sets | cap | expected series | at most |
|---|---|---:|---:|---:|---:|---:|
${rows.join('\n')}
| **per instance** | | | | | **${thousands(p.perInstance.expected)}** | **${thousands(p.perInstance.max)}** |

## Totals

| | expected | at most |
|---|---:|---:|
| service series (${p.instances} instances) | ${thousands(p.perInstance.expected * p.instances)} | ${thousands(p.perInstance.max * p.instances)} |
| exporters, Prometheus, Alertmanager (measured orders of magnitude) | ${thousands(p.exporters)} | ${thousands(p.exporters)} |
| **active series** | **${thousands(p.total.expected)}** | **${thousands(p.total.max)}** |
| samples per day | ${thousands((p.total.expected * 86_400) / p.scrapeSeconds)} | ${thousands((p.total.max * 86_400) / p.scrapeSeconds)} |
| disk per day | ${bytes(p.bytesPerDay.expected)} | ${bytes(p.bytesPerDay.max)} |
| disk at ${s.retentionTime} retention | ${bytes(p.bytesAtRetention.expected)} | ${bytes(p.bytesAtRetention.max)} |

Formula: \`disk per day = active series × 86,400 s ÷ scrape interval (${p.scrapeSeconds} s) × ${c.bytesPerSample} bytes per sample\`;
at retention multiply by the retention in days (${p.retentionDays}). Add about 2 h of samples uncompressed
in memory and in the WAL (the head block), and headroom for compaction, which briefly needs the size of
the largest block twice. \`PROMETHEUS_RETENTION_SIZE\` (${s.retentionSize}) deletes the oldest blocks first
when the size cap is reached before the time limit.

## When to move to remote storage

- Keep more than ${c.remoteStorageRetentionDays} days of history, or keep it when the Prometheus volume is lost:
  set \`PROMETHEUS_REMOTE_WRITE_URL\` (VictoriaMetrics, Mimir or Thanos Receive) and lower the local retention.
- More than ${thousands(c.remoteStorageSeries)} active series on one Prometheus: ${needsRemote ? '**the worst case above already exceeds it**; watch `prometheus_tsdb_head_series`' : 'the worst case above stays below it'}.
- More than one Prometheus (high availability or several sites): a shared remote store deduplicates and
  answers queries across them.

Growth watch: \`prometheus_tsdb_head_series\` (active series), \`${ctx.config.namespace}_metrics_label_overflow_total\`
(a metric reached its cap: a label is less bounded than planned) and \`prometheus_tsdb_storage_blocks_bytes\`.
`;
}
