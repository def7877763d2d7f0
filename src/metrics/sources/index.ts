// The scheduled sources: the plugin contract and the shipped collectors.

export {
  type BookingsTodaySourceOptions,
  bookingsTodaySource,
  OTHER_BOOKING_STATUS,
} from './bookings-today.ts';
export {
  type DatabaseTarget,
  DEFAULT_SQLITE_PATH,
  dialectOf,
  type OpenedDatabase,
  openDatabase,
  parseDatabaseUrl,
  redactUrl,
} from './connect.ts';
export { type DatabaseSourceOptions, databaseSource } from './database.ts';
export { createDefaultSources, type DefaultSourcesOptions } from './defaults.ts';
export { localDate, startOfLocalDay } from './local-midnight.ts';
export { parseQueueList, type QueuesSourceOptions, queuesSource } from './queues.ts';
export type { SqlDialect } from './sql.ts';
export { type TenantsSourceOptions, tenantsSource } from './tenants.ts';
export { type MetricSource, notConfiguredSource, type Sample, SourceConfigError } from './types.ts';
