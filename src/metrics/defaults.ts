/**
 * Every default of the metrics library, in one literal: the environment parser (`src/config.ts`), the
 * library's option types and the CLI all read them from here, so a default changes in one place.
 */
export const DEFAULTS = {
  /** Metric name prefix (METRICS_NAMESPACE). */
  namespace: 'askproai',
  /** Where the endpoint is mounted (METRICS_PATH). */
  metricsPath: '/api/metrics',
  /** Routes that are not recorded besides the metrics path (METRICS_EXCLUDE_PATHS). */
  excludePaths: ['/api/health'] as readonly string[],
  /** Cap on distinct label sets per metric unless its definition says otherwise (METRICS_MAX_SERIES). */
  maxSeries: 1000,
  /** Collection schedule (METRICS_COLLECT_CRON). */
  collectCron: '* * * * *',
  /** Per-collector cut-off (METRICS_COLLECTOR_TIMEOUT_MS). */
  collectorTimeoutMs: 10_000,
  /** Queries at or above this count as slow (METRICS_SLOW_QUERY_MS). */
  slowQueryMs: 100,
  /** Queues the queues collector counts (METRICS_QUEUES). */
  queues: ['default'] as readonly string[],
  /** BullMQ key prefix (METRICS_QUEUE_PREFIX). */
  queuePrefix: 'bull',
  /** The day "bookings today" counts (APP_TIMEZONE). */
  timezone: 'Europe/Berlin',
  /** The embedded SQLite file when DATABASE_URL is not set. */
  sqlitePath: 'data/askproai.sqlite',
  /** Connections per PostgreSQL/MySQL pool. */
  dbPoolSize: 10,
  /** Connect (and SQLite busy) timeout. */
  dbConnectTimeoutMs: 5000,
  /** The Redis database of the snapshot and lock when only REDIS_URL is set. */
  metricsRedisDb: 2,
  /**
   * A request the client aborted before the handler sent its response headers counts in
   * `http_requests_unanswered` once this long has passed since the abort and the handler has still
   * not answered (the HTTP adapters' `unansweredAfterMs`; METRICS_UNANSWERED_AFTER_MS).
   */
  httpUnansweredAfterMs: 30_000,
  /**
   * Cap on aborted requests the HTTP adapters watch for an answer (`maxUnanswered`;
   * METRICS_MAX_UNANSWERED). Each keeps its
   * response, request and socket reachable until the next sweep, about 4.8 KB on Node 20: 1,000 bound
   * that to about 5 MB; the gauge reads at most this, far above the alert's levels.
   */
  httpMaxUnanswered: 1_000,
} as const;

/** Snapshot and leader-lock keys start with this: `askproai:metrics:` for the default namespace. */
export function redisKeyPrefix(namespace: string = DEFAULTS.namespace): string {
  return `${namespace || DEFAULTS.namespace}:metrics:`;
}

/** The routes the HTTP middleware leaves out by default: the metrics path and the excluded paths. */
export const DEFAULT_EXCLUDED_PATHS: readonly string[] = [DEFAULTS.metricsPath, ...DEFAULTS.excludePaths];
