/**
 * Builds the whole collection from the library's options: Redis clients (owned ones are closed by close()),
 * the snapshot store and leader lock when METRICS_REDIS_URL (default: REDIS_URL database 2) is set,
 * the shipped sources plus any of your own, and the scheduler. Used by the service and by the CLI.
 */
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Registry } from '../core/registry.ts';
import { DEFAULTS, redisKeyPrefix } from '../defaults.ts';
import type { MetricsOptions } from '../options.ts';
import { createDefaultSources } from '../sources/defaults.ts';
import type { SqlDialect } from '../sources/sql.ts';
import type { MetricSource } from '../sources/types.ts';
import { RedisLeaderLock } from './lock.ts';
import { createMonitorRedis, type MonitorLogger, whenReady } from './redis.ts';
import { defaultInstanceId, MetricsScheduler } from './scheduler.ts';
import { MemorySnapshotStore, RedisSnapshotStore, type SnapshotStore } from './store.ts';

export interface CollectionOptions {
  /** The library's options (Redis URLs, schedule, queues, time zone). */
  settings: MetricsOptions;
  registry: Registry;
  // biome-ignore lint/suspicious/noExplicitAny: the application's database.
  db?: Kysely<any> | undefined;
  dialect?: SqlDialect | undefined;
  /** The application's Redis (queues); default a client on REDIS_URL. */
  queueRedis?: Redis | undefined;
  /** Redis for snapshot and lock; default a client on METRICS_REDIS_URL. Null: stay in memory. */
  metricsRedis?: Redis | null | undefined;
  /** Queue names; default `settings.queues`. */
  queues?: readonly string[];
  /** Your own sources, run beside the shipped ones. */
  extraSources?: readonly MetricSource[];
  /** Key prefix for snapshot and lock. Default `<namespace>:metrics:`. */
  keyPrefix?: string;
  /** Leader lock expiry. Default 30,000 ms. */
  lockTtlMs?: number;
  syncIntervalMs?: number;
  /** Longest reconnect pause of the clients created here. Default 5000 ms. */
  maxBackoffMs?: number;
  /** Cron override (tests); default `settings.collectCron`. */
  cron?: string;
  runOnStart?: boolean;
  instanceId?: string;
  logger?: MonitorLogger;
}

export interface Collection {
  scheduler: MetricsScheduler;
  store: SnapshotStore;
  lock: RedisLeaderLock | undefined;
  sources: MetricSource[];
  metricsRedis: Redis | undefined;
  queueRedis: Redis | undefined;
  /** Stops the scheduler (releasing the lock) and closes the Redis clients created here. */
  close(): Promise<void>;
}

export function createCollection(options: CollectionOptions): Collection {
  const { settings, logger } = options;
  const owned: Redis[] = [];
  const redisOptions = { logger, maxBackoffMs: options.maxBackoffMs };
  let metricsRedis: Redis | undefined;
  if (options.metricsRedis !== undefined) metricsRedis = options.metricsRedis ?? undefined;
  else if (settings.snapshotRedisUrl) {
    metricsRedis = createMonitorRedis(settings.snapshotRedisUrl, { ...redisOptions, role: 'metrics' });
    owned.push(metricsRedis);
  }
  let queueRedis = options.queueRedis;
  if (queueRedis === undefined && settings.queueRedisUrl) {
    queueRedis = createMonitorRedis(settings.queueRedisUrl, { ...redisOptions, role: 'queues' });
    owned.push(queueRedis);
  }
  const closeOwned = () => {
    for (const r of owned) r.disconnect();
  };
  try {
    const lockRedis = metricsRedis;
    const prefix = options.keyPrefix ?? redisKeyPrefix(settings.namespace);
    const store = metricsRedis
      ? new RedisSnapshotStore(metricsRedis, { key: `${prefix}snapshot` })
      : new MemorySnapshotStore();
    const instanceId = options.instanceId ?? defaultInstanceId();
    const lock = metricsRedis
      ? new RedisLeaderLock(metricsRedis, instanceId, { key: `${prefix}leader`, ttlMs: options.lockTtlMs })
      : undefined;
    const sources = [
      ...createDefaultSources({
        db: options.db,
        dialect: options.dialect,
        redis: queueRedis,
        queues: options.queues ?? settings.queues ?? DEFAULTS.queues,
        queuePrefix: settings.queuePrefix,
        timezone: settings.timezone,
      }),
      ...(options.extraSources ?? []),
    ];
    const scheduler = new MetricsScheduler({
      registry: options.registry,
      sources,
      cron: options.cron ?? settings.collectCron,
      timeoutMs: settings.collectorTimeoutMs,
      store,
      lock,
      syncIntervalMs: options.syncIntervalMs,
      instanceId,
      logger,
      runOnStart: options.runOnStart,
      ready: lockRedis ? () => whenReady(lockRedis, 3000) : undefined,
    });
    return {
      scheduler,
      store,
      lock,
      sources,
      metricsRedis,
      queueRedis,
      async close() {
        await scheduler.stop();
        closeOwned();
      },
    };
  } catch (err) {
    closeOwned();
    throw err;
  }
}
