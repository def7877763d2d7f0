// The scheduler, its leader lock and snapshot stores.

export { fetchExposition, localEndpointUrl } from './inspect.ts';
export { type LeaderLockOptions, RedisLeaderLock } from './lock.ts';
export {
  createMonitorRedis,
  type MonitorLogger,
  redisErrorHandler,
  silentLogger,
  whenReady,
} from './redis.ts';
export { runSources } from './run.ts';
export {
  assertCron,
  type CollectOutcome,
  DEFAULT_COLLECT_CRON,
  defaultInstanceId,
  MetricsScheduler,
  type SchedulerOptions,
} from './scheduler.ts';
export { type Collection, type CollectionOptions, createCollection } from './setup.ts';
export {
  applySnapshot,
  type CollectorReport,
  parseSnapshot,
  type Snapshot,
  safeErrorMessage,
} from './snapshot.ts';
export { MemorySnapshotStore, RedisSnapshotStore, type SnapshotStore } from './store.ts';
