/**
 * `askproai_database_pool_connections{state}` (total, idle, waiting) for this instance's pool, read from
 * the pool object right before each scrape: in memory, no I/O. Works with `pg.Pool` and mysql2 pools
 * (callback or promise API).
 */
import type { MetricsCollector } from '../collector.ts';

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

function len(x: unknown): number {
  const n = (x as { length?: number } | undefined)?.length;
  return typeof n === 'number' ? n : 0;
}

/** Reads total/idle/waiting from a pg or mysql2 pool; undefined for anything else. */
export function readPoolStats(pool: unknown): PoolStats | undefined {
  if (typeof pool !== 'object' || pool === null) return undefined;
  const p = pool as Record<string, unknown>;
  if (typeof p.totalCount === 'number') {
    return { total: p.totalCount, idle: Number(p.idleCount ?? 0), waiting: Number(p.waitingCount ?? 0) };
  }
  // mysql2/promise wraps the callback pool in `.pool`.
  const inner = (p._allConnections ? p : (p.pool as Record<string, unknown> | undefined)) ?? undefined;
  if (inner && '_allConnections' in inner) {
    return {
      total: len(inner._allConnections),
      idle: len(inner._freeConnections),
      waiting: len(inner._connectionQueue),
    };
  }
  return undefined;
}

/** Refreshes the pool gauges before every scrape. Throws at once for an object that is not a known pool. */
export function observePool(collector: MetricsCollector, pool: unknown): void {
  if (readPoolStats(pool) === undefined) {
    throw new TypeError('observePool: expected a pg.Pool or a mysql2 pool');
  }
  collector.registry.onCollect('database_pool', () => {
    const s = readPoolStats(pool);
    if (!s) return;
    collector.setPoolConnections('total', s.total);
    collector.setPoolConnections('idle', s.idle);
    collector.setPoolConnections('waiting', s.waiting);
  });
}
