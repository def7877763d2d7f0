/**
 * Query timing through Kysely's `log` hook: every query (and every failed one) is observed in
 * `askproai_database_query_duration_seconds{operation}`, and slow ones counted.
 *
 * ```ts
 * const db = new Kysely<DB>({ dialect, log: kyselyQueryLogger(metrics.collector) });
 * ```
 */
import type { LogEvent, Logger } from 'kysely';
import type { MetricsCollector } from '../collector.ts';
import { operationOfNode } from './operation.ts';

export interface KyselyLoggerOptions {
  /** Called after recording, e.g. the application's own query log. */
  next?: Logger;
}

/** A Kysely `log` function that records query durations; it never throws into the query. */
export function kyselyQueryLogger(collector: MetricsCollector, options: KyselyLoggerOptions = {}): Logger {
  const next = options.next;
  return function recordKyselyQuery(event: LogEvent) {
    try {
      const op = operationOfNode(event.query.query?.kind, event.query.sql);
      collector.recordQuery(op, event.queryDurationMillis / 1000);
    } catch {
      // Monitoring never breaks the query it observes.
    }
    return next?.(event);
  };
}
