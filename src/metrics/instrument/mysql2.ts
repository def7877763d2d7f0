/**
 * Query timing for a mysql2 pool (`mysql2` callback pools and `mysql2/promise` pools): `pool.query` and
 * `pool.execute` are timed into `askproai_database_query_duration_seconds{operation}`. Queries run on a
 * connection taken with `getConnection()` are not covered; Kysely users get those through the log hook.
 *
 * ```ts
 * const pool = instrumentMysqlPool(mysql.createPool(url), metrics.collector);
 * ```
 */
import type { MetricsCollector } from '../collector.ts';
import { operationOfSql } from './operation.ts';
import { timedCall } from './timed-call.ts';

const INSTRUMENTED = Symbol.for('askproai.metrics.instrumented');

function textOf(first: unknown): unknown {
  return typeof first === 'object' && first !== null ? (first as { sql?: unknown }).sql : first;
}

/** Instruments a mysql2 pool in place and returns it. */
export function instrumentMysqlPool<P>(pool: P, collector: MetricsCollector): P {
  const p = pool as unknown as Record<string | symbol, unknown>;
  if (typeof p?.query !== 'function' || typeof p.execute !== 'function') {
    throw new TypeError('instrumentMysqlPool: expected a mysql2 pool');
  }
  if (p[INSTRUMENTED]) return pool;
  p[INSTRUMENTED] = true;
  for (const method of ['query', 'execute'] as const) {
    const original = p[method] as (...args: unknown[]) => unknown;
    p[method] = function timedMysqlQuery(this: unknown, ...args: unknown[]) {
      return timedCall(collector, operationOfSql(textOf(args[0])), this, original, args);
    };
  }
  return pool;
}
