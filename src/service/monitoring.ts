/**
 * The service's scheduled monitoring: builds the collectors from config and starts the every-minute
 * scheduler with its snapshot sync. Call once at start-up, after the database and Redis handles exist:
 *
 * ```ts
 * const monitoring = await startServiceMonitoring({ config, metrics, db, dbDialect: 'postgres', redis, logger });
 * // ... on shutdown
 * await monitoring.stop();
 * ```
 *
 * - `db` / `dbDialect`: the service's Kysely instance and its dialect (without them the database
 *   collectors report "not configured"); `dbPool`: the pg or mysql2 pool behind it, for the pool gauges.
 * - `redis`: the service's ioredis client where its BullMQ queues live (default: a client on REDIS_URL);
 *   `queues`: queue names (default METRICS_QUEUES).
 * - Snapshot and leader lock use METRICS_REDIS_URL (default REDIS_URL database 2), or memory without it.
 *
 * It returns at once and never waits on Redis or the database: the service starts and serves its own
 * metrics when either is down, and collection recovers by itself when they come back. A misconfigured
 * collector throws here, with a message naming the setting.
 */
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Config } from '../config.ts';
import type { Metrics } from '../metrics/index.ts';
import { observePool } from '../metrics/instrument/index.ts';
import type { MetricsScheduler, MonitorLogger } from '../metrics/schedule/index.ts';
import { type Collection, type CollectionOptions, createCollection } from '../metrics/schedule/index.ts';
import type { MetricSource, SqlDialect } from '../metrics/sources/index.ts';
import { metricsOptions } from './metrics-options.ts';

export interface ServiceMonitoringOptions {
  config: Config;
  metrics: Metrics;
  // biome-ignore lint/suspicious/noExplicitAny: the service's database.
  db?: Kysely<any>;
  dbDialect?: SqlDialect;
  /** pg.Pool or mysql2 pool behind `db`, for `askproai_database_pool_connections`. */
  dbPool?: unknown;
  redis?: Redis;
  queues?: readonly string[];
  /** Your own collectors, run beside the shipped ones. */
  sources?: readonly MetricSource[];
  /** pino or anything with info/warn/error(obj, msg). */
  logger?: MonitorLogger;
  /** Timing overrides (short schedules and lock expiries in tests); production uses config. */
  tuning?: Pick<
    CollectionOptions,
    'cron' | 'lockTtlMs' | 'syncIntervalMs' | 'maxBackoffMs' | 'keyPrefix' | 'instanceId'
  >;
}

export interface ServiceMonitoring {
  /** Undefined when monitoring is disabled (MONITORING_ENABLED=false or METRICS_ENABLED=false). */
  scheduler: MetricsScheduler | undefined;
  collection: Collection | undefined;
  stop(): Promise<void>;
}

export async function startServiceMonitoring(options: ServiceMonitoringOptions): Promise<ServiceMonitoring> {
  const { config, metrics } = options;
  if (!config.monitoringEnabled || !config.metrics.enabled) {
    return { scheduler: undefined, collection: undefined, async stop() {} };
  }
  if (options.dbPool !== undefined) observePool(metrics.collector, options.dbPool);
  const collection = createCollection({
    settings: metricsOptions(config),
    registry: metrics.registry,
    db: options.db,
    dialect: options.dbDialect,
    queueRedis: options.redis,
    queues: options.queues,
    extraSources: options.sources,
    logger: options.logger,
    ...options.tuning,
  });
  collection.scheduler.start();
  options.logger?.info(
    {
      schedule: collection.scheduler.cron,
      store: collection.store.kind,
      collectors: collection.sources.map((s) => s.name),
    },
    'Metrics collection scheduled',
  );
  return {
    scheduler: collection.scheduler,
    collection,
    stop: () => collection.close(),
  };
}
