// Database and queue instrumentation.

export {
  DEFAULT_JOB_TIME_LIMIT_MS,
  instrumentWorker,
  JobTimeoutError,
  type TimeLimitOptions,
  withTimeLimit,
} from './bullmq.ts';
export { type KyselyLoggerOptions, kyselyQueryLogger } from './kysely.ts';
export { instrumentMysqlPool } from './mysql2.ts';
export { operationOfNode, operationOfSql } from './operation.ts';
export { instrumentPgPool } from './pg.ts';
export { observePool, type PoolStats, readPoolStats } from './pool.ts';
