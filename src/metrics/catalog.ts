/**
 * The metric catalog: every metric the platform exposes, declared once. The collector, the HTTP
 * middleware, the scheduled sources, the generated alert rules, recording rules and dashboards all
 * import these definitions, so renaming a metric here is a type error everywhere it is used.
 *
 * Names are given without the namespace; the full name is `${namespace}_${name}` (namespace
 * `askproai` unless METRICS_NAMESPACE says otherwise, see `fullName()`).
 *
 * Aggregating across instances (documented here because the generators follow it):
 * - `scope: 'process'` metrics are recorded by each instance: `sum by (...) (rate(x[5m]))`.
 * - `scope: 'cluster'` gauges hold one platform-wide value that every instance serves from the shared
 *   snapshot: `max by (...) (x)`, never `sum`, or N instances would show N times the queue.
 *
 * Across the workers of one Node cluster a metric merges as its `aggregate` says (default `max` for
 * `scope: 'cluster'`, `sum` otherwise); info gauges and timestamps declare `aggregate: 'max'`.
 */
import { type MetricDef, type MetricType, prefixedName } from './core/types.ts';
import { DEFAULTS } from './defaults.ts';

function metric<const L extends string, const T extends MetricType>(def: MetricDef<L, T>): MetricDef<L, T> {
  return def;
}

/** SLA edges from the spec: API p95 200 ms / 500 ms, admin page 1 s. */
export const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2.5, 5, 10] as const;
/** Webhook SLA edge: 500 ms. */
export const WEBHOOK_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
/** Query SLA edge: 100 ms. */
export const QUERY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;
/** Job timeout edge: 30 s. */
export const JOB_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] as const;
export const JOB_WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900] as const;
/** Admin page load SLA edge: 1 s. */
export const PAGE_LOAD_BUCKETS = [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10] as const;
export const GC_BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5] as const;

export const catalog = {
  // --- HTTP (the spec's "HTTP Metrics") -------------------------------------------------------
  httpRequestsTotal: metric({
    name: 'http_requests_total',
    type: 'counter',
    help: 'Total HTTP requests by method, route template and status code.',
    labels: ['method', 'endpoint', 'status'],
  }),
  httpRequestDuration: metric({
    name: 'http_request_duration_seconds',
    type: 'histogram',
    help: 'HTTP request duration in seconds by method, route template and status code.',
    labels: ['method', 'endpoint', 'status'],
    buckets: HTTP_BUCKETS,
  }),
  httpRequestsUnanswered: metric({
    name: 'http_requests_unanswered',
    type: 'gauge',
    help: `Requests the client aborted before any response header was sent whose handler has still not answered ${DEFAULTS.httpUnansweredAfterMs / 1000} s (the default threshold) after the abort, by route template: stalled handlers.`,
    labels: ['endpoint'],
  }),

  // --- Business (the spec's "Business Metrics") -----------------------------------------------
  bookingsTotal: metric({
    name: 'bookings_total',
    type: 'counter',
    help: 'Total bookings by status and source.',
    labels: ['status', 'source'],
  }),
  callsTotal: metric({
    name: 'calls_total',
    type: 'counter',
    help: 'Total phone calls by final status and company (tenant id).',
    labels: ['status', 'company'],
    // 6 statuses x the capacity plan's 200 tenants = 1,200 label sets, with room to grow.
    maxSeries: 2000,
  }),
  webhooksTotal: metric({
    name: 'webhooks_total',
    type: 'counter',
    help: 'Webhook deliveries by provider, event and outcome.',
    labels: ['provider', 'event', 'status'],
  }),
  webhookProcessingDuration: metric({
    name: 'webhook_processing_duration_seconds',
    type: 'histogram',
    help: 'Webhook processing time in seconds by provider and event.',
    labels: ['provider', 'event'],
    buckets: WEBHOOK_BUCKETS,
  }),
  adminPageLoad: metric({
    name: 'admin_page_load_seconds',
    type: 'histogram',
    help: 'Admin dashboard page load time in seconds as reported by the browser (navigation timing).',
    labels: ['page'],
    buckets: PAGE_LOAD_BUCKETS,
    maxSeries: 50,
  }),

  // --- System (the spec's "System Metrics"), collected every minute ---------------------------
  queueSize: metric({
    name: 'queue_size',
    type: 'gauge',
    help: 'Jobs waiting to run per queue (waiting + delayed + prioritized).',
    labels: ['queue'],
    scope: 'cluster',
  }),
  queueJobs: metric({
    name: 'queue_jobs',
    type: 'gauge',
    help: 'Jobs per queue and state.',
    labels: ['queue', 'state'],
    scope: 'cluster',
  }),
  databaseConnections: metric({
    name: 'database_connections',
    type: 'gauge',
    help: 'Connections open on the database server, as the server counts them.',
    labels: [],
    scope: 'cluster',
  }),
  databaseMaxConnections: metric({
    name: 'database_max_connections',
    type: 'gauge',
    help: 'The database server connection limit (max_connections).',
    labels: [],
    scope: 'cluster',
  }),
  databasePoolConnections: metric({
    name: 'database_pool_connections',
    type: 'gauge',
    help: "This instance's application connection pool: total and idle connections, waiting requests.",
    labels: ['state'],
  }),
  activeTenants: metric({
    name: 'active_tenants',
    type: 'gauge',
    help: 'Number of active tenants (companies).',
    labels: [],
    scope: 'cluster',
  }),
  bookingsToday: metric({
    name: 'bookings_today',
    type: 'gauge',
    help: 'Bookings created since local midnight (APP_TIMEZONE), counted from the database.',
    labels: ['status'],
    scope: 'cluster',
  }),
  errorsTotal: metric({
    name: 'errors_total',
    type: 'counter',
    help: 'Application errors by type and severity.',
    labels: ['type', 'severity'],
  }),

  // --- Database and queue instrumentation -------------------------------------------------------
  databaseQueryDuration: metric({
    name: 'database_query_duration_seconds',
    type: 'histogram',
    help: 'Database query duration in seconds by statement kind.',
    labels: ['operation'],
    buckets: QUERY_BUCKETS,
  }),
  databaseSlowQueries: metric({
    name: 'database_slow_queries_total',
    type: 'counter',
    help: 'Database queries slower than the slow-query threshold, by statement kind.',
    labels: ['operation'],
  }),
  queueJobsProcessed: metric({
    name: 'queue_jobs_processed_total',
    type: 'counter',
    help: 'Queue jobs processed by queue and outcome (completed, failed, stalled).',
    labels: ['queue', 'status'],
  }),
  queueJobDuration: metric({
    name: 'queue_job_duration_seconds',
    type: 'histogram',
    help: 'Queue job run time in seconds.',
    labels: ['queue'],
    buckets: JOB_BUCKETS,
  }),
  queueJobWait: metric({
    name: 'queue_job_wait_seconds',
    type: 'histogram',
    help: 'Time a queue job waited between being added and starting, in seconds.',
    labels: ['queue'],
    buckets: JOB_WAIT_BUCKETS,
  }),
  queueJobTimeouts: metric({
    name: 'queue_job_timeouts_total',
    type: 'counter',
    help: 'Queue jobs that ran past their time limit.',
    labels: ['queue'],
  }),

  // --- The monitoring's own health ------------------------------------------------------------
  metricsCollectionDuration: metric({
    name: 'metrics_collection_duration_seconds',
    type: 'gauge',
    help: 'Duration of the last run of each scheduled metrics collector, in seconds.',
    labels: ['collector'],
  }),
  metricsCollectionErrors: metric({
    name: 'metrics_collection_errors_total',
    type: 'counter',
    help: 'Failed or timed-out runs of each scheduled metrics collector.',
    labels: ['collector'],
  }),
  metricsCollectionLastSuccess: metric({
    name: 'metrics_collection_last_success_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time of the last successful run of each scheduled metrics collector.',
    labels: ['collector'],
    scope: 'cluster',
  }),
  metricsLabelOverflow: metric({
    name: 'metrics_label_overflow_total',
    type: 'counter',
    help: 'Recordings folded into the overflow series because a metric reached its label-set cap.',
    labels: ['metric'],
  }),
  metricsDroppedLabels: metric({
    name: 'metrics_dropped_labels_total',
    type: 'counter',
    help: 'Label values replaced or altered before recording, by metric and reason.',
    labels: ['metric', 'reason'],
  }),

  buildInfo: metric({
    name: 'build_info',
    type: 'gauge',
    help: 'The running build of the service: its version (value is always 1). Dashboards mark deploys from it.',
    labels: ['version'],
    maxSeries: 5,
  }),

  // --- Node.js process and runtime (prom-client's defaults, renamed where promtool objects) ---
  processCpuUserSeconds: metric({
    name: 'process_cpu_user_seconds_total',
    type: 'counter',
    help: 'Total user CPU time spent in seconds.',
    labels: [],
  }),
  processCpuSystemSeconds: metric({
    name: 'process_cpu_system_seconds_total',
    type: 'counter',
    help: 'Total system CPU time spent in seconds.',
    labels: [],
  }),
  processCpuSeconds: metric({
    name: 'process_cpu_seconds_total',
    type: 'counter',
    help: 'Total user and system CPU time spent in seconds.',
    labels: [],
  }),
  processStartTime: metric({
    name: 'process_start_time_seconds',
    type: 'gauge',
    help: 'Start time of the process since unix epoch in seconds.',
    labels: [],
    aggregate: 'max',
  }),
  processResidentMemory: metric({
    name: 'process_resident_memory_bytes',
    type: 'gauge',
    help: 'Resident memory size in bytes.',
    labels: [],
  }),
  processOpenFds: metric({
    name: 'process_open_fds',
    type: 'gauge',
    help: 'Number of open file descriptors.',
    labels: [],
  }),
  processMaxFds: metric({
    name: 'process_max_fds',
    type: 'gauge',
    help: 'Maximum number of open file descriptors.',
    labels: [],
  }),
  nodejsEventloopLag: metric({
    name: 'nodejs_eventloop_lag_seconds',
    type: 'gauge',
    help: 'Mean event loop delay since the previous scrape, in seconds.',
    labels: [],
  }),
  nodejsEventloopLagP99: metric({
    name: 'nodejs_eventloop_lag_p99_seconds',
    type: 'gauge',
    help: 'The 99th percentile of event loop delay since the previous scrape, in seconds.',
    labels: [],
  }),
  nodejsEventloopLagMax: metric({
    name: 'nodejs_eventloop_lag_max_seconds',
    type: 'gauge',
    help: 'The maximum event loop delay since the previous scrape, in seconds.',
    labels: [],
  }),
  nodejsActiveResources: metric({
    name: 'nodejs_active_resources',
    type: 'gauge',
    help: 'Resources keeping the event loop alive, by type (handles, requests, timers).',
    labels: ['type'],
    maxSeries: 100,
  }),
  nodejsHeapSizeTotal: metric({
    name: 'nodejs_heap_size_total_bytes',
    type: 'gauge',
    help: 'Process heap size from Node.js in bytes.',
    labels: [],
  }),
  nodejsHeapSizeUsed: metric({
    name: 'nodejs_heap_size_used_bytes',
    type: 'gauge',
    help: 'Process heap size used from Node.js in bytes.',
    labels: [],
  }),
  nodejsExternalMemory: metric({
    name: 'nodejs_external_memory_bytes',
    type: 'gauge',
    help: 'Node.js external memory size in bytes.',
    labels: [],
  }),
  nodejsHeapSpaceSizeUsed: metric({
    name: 'nodejs_heap_space_size_used_bytes',
    type: 'gauge',
    help: 'Used size of each V8 heap space in bytes.',
    labels: ['space'],
    maxSeries: 50,
  }),
  nodejsVersionInfo: metric({
    name: 'nodejs_version_info',
    type: 'gauge',
    help: 'Node.js version info (value is always 1).',
    labels: ['version', 'major', 'minor', 'patch'],
    maxSeries: 5,
    aggregate: 'max',
  }),
  nodejsGcDuration: metric({
    name: 'nodejs_gc_duration_seconds',
    type: 'histogram',
    help: 'Garbage collection duration by kind, in seconds.',
    labels: ['kind'],
    buckets: GC_BUCKETS,
    maxSeries: 10,
  }),
} as const;

export type Catalog = typeof catalog;
export type MetricKey = keyof Catalog;

export const DEFAULT_NAMESPACE: string = DEFAULTS.namespace;

/** The exposed name of a metric, e.g. `fullName(catalog.queueSize)` is `askproai_queue_size`. */
export function fullName(def: MetricDef, namespace: string = DEFAULT_NAMESPACE): string {
  return prefixedName(def, namespace);
}

// --- Closed label value sets: typed unions for the collector API -------------------------------

export const BOOKING_STATUSES = [
  'confirmed',
  'pending',
  'rescheduled',
  'cancelled',
  'completed',
  'no_show',
  'failed',
] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];

export const BOOKING_SOURCES = ['phone', 'web', 'api', 'calcom'] as const;
export type BookingSource = (typeof BOOKING_SOURCES)[number];

export const CALL_STATUSES = [
  'completed',
  'failed',
  'no_answer',
  'busy',
  'voicemail',
  'transferred',
] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

export const WEBHOOK_PROVIDERS = ['retell', 'calcom'] as const;
export type WebhookProvider = (typeof WEBHOOK_PROVIDERS)[number];

/** `success` is the spec's spelling; the reference service reports `processed`. */
export const WEBHOOK_STATUSES = [
  'success',
  'processed',
  'duplicate',
  'rejected',
  'invalid',
  'failed',
  'unknown_tenant',
] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

export const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const QUEUE_JOB_OUTCOMES = ['completed', 'failed', 'stalled'] as const;
export type QueueJobOutcome = (typeof QUEUE_JOB_OUTCOMES)[number];

export const QUEUE_JOB_STATES = [
  'waiting',
  'delayed',
  'prioritized',
  'active',
  'completed',
  'failed',
  'paused',
] as const;
export type QueueJobState = (typeof QUEUE_JOB_STATES)[number];

export const QUERY_OPERATIONS = ['select', 'insert', 'update', 'delete', 'other'] as const;
export type QueryOperation = (typeof QUERY_OPERATIONS)[number];

export const POOL_STATES = ['total', 'idle', 'waiting'] as const;
export type PoolState = (typeof POOL_STATES)[number];

/** Admin pages that may report load timings; anything else is folded into `other`. */
export const ADMIN_PAGES = ['dashboard', 'bookings', 'calls', 'companies', 'settings', 'other'] as const;
export type AdminPage = (typeof ADMIN_PAGES)[number];
