/**
 * The library's own settings, independent of any application's configuration. A service maps its
 * configuration to this once (the reference service: `src/service/metrics-options.ts`); every field
 * but `tokens` has a default from `src/metrics/defaults.ts`.
 */
export interface MetricsOptions {
  /** False: the endpoint answers 404, recording and HTTP middleware are no-ops. Default true. */
  enabled?: boolean;
  /** Bearer tokens the endpoint accepts (several during a rotation). Never log these. */
  tokens: readonly string[];
  /** Metric name prefix. Default `askproai`. */
  namespace?: string;
  /** Where the endpoint is mounted; never recorded. Default `/api/metrics`. */
  path?: string;
  /** Routes not recorded besides `path`. Default `['/api/health']`. */
  excludePaths?: readonly string[];
  /** Default cap on label sets per metric. Default 1,000. */
  maxSeries?: number;
  /** Queries at or above this many milliseconds also count as slow. Default 100. */
  slowQueryMs?: number;
  /**
   * An aborted request whose handler has sent no response header this long after the abort counts in
   * `http_requests_unanswered`. Default 30,000 ms.
   */
  unansweredAfterMs?: number;
  /** Cap on aborted requests watched for an answer. Default 1,000. */
  maxUnanswered?: number;

  // --- Scheduled collection ---------------------------------------------------------------------
  /** Redis for the collectors' shared snapshot and leader lock; unset: in memory. */
  snapshotRedisUrl?: string | undefined;
  /** Redis where the application's queues live; unset: the queues collector is "not configured". */
  queueRedisUrl?: string | undefined;
  /** Collection schedule (cron). Default every minute. */
  collectCron?: string;
  /** Per-collector cut-off. Default 10,000 ms. */
  collectorTimeoutMs?: number;
  /** BullMQ queue names and `list:<key>` plain Redis lists to count. Default `['default']`. */
  queues?: readonly string[];
  /** BullMQ key prefix. Default `bull`. */
  queuePrefix?: string;
  /** IANA time zone of "today" for `bookings_today`. Default `Europe/Berlin`. */
  timezone?: string;
}
