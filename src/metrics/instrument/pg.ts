/**
 * Query timing for a `pg.Pool`: every client the pool hands out (and so `pool.query`) has its `query`
 * timed into `askproai_database_query_duration_seconds{operation}`. The operation comes from the
 * statement's first keyword; SQL text and parameters never reach a label.
 *
 * Use either this or the Kysely log hook for the same pool, not both, or queries count twice.
 *
 * ```ts
 * const pool = instrumentPgPool(new pg.Pool({ connectionString }), metrics.collector);
 * ```
 */
import type { MetricsCollector } from '../collector.ts';
import { operationOfSql } from './operation.ts';
import { timedCall } from './timed-call.ts';

const INSTRUMENTED = Symbol.for('askproai.metrics.instrumented');

interface QueryTarget {
  query: (...args: unknown[]) => unknown;
  [INSTRUMENTED]?: boolean;
}

interface PgPoolLike {
  on(event: 'connect', listener: (client: QueryTarget) => void): unknown;
  _clients?: QueryTarget[];
}

function textOf(first: unknown): unknown {
  return typeof first === 'object' && first !== null ? (first as { text?: unknown }).text : first;
}

function wrapClient(client: QueryTarget, collector: MetricsCollector): void {
  if (client[INSTRUMENTED]) return;
  client[INSTRUMENTED] = true;
  const original = client.query;
  client.query = function timedPgQuery(this: unknown, ...args: unknown[]) {
    const first = args[0];
    // Cursors and streams (submittables) manage themselves; pass them through untimed.
    if (
      typeof first === 'object' &&
      first !== null &&
      typeof (first as { submit?: unknown }).submit === 'function'
    ) {
      return original.apply(this, args);
    }
    return timedCall(collector, operationOfSql(textOf(first)), this, original, args);
  };
}

/** Instruments a pg Pool in place and returns it. */
export function instrumentPgPool<P>(pool: P, collector: MetricsCollector): P {
  const p = pool as unknown as PgPoolLike;
  if (typeof p?.on !== 'function') throw new TypeError('instrumentPgPool: expected a pg.Pool');
  p.on('connect', (client) => wrapClient(client, collector));
  for (const client of p._clients ?? []) wrapClient(client, collector);
  return pool;
}
