/** The shipped sources, built from typed config and the handles a service already has. */
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { catalog } from '../catalog.ts';
import { bookingsTodaySource } from './bookings-today.ts';
import { databaseSource } from './database.ts';
import { parseQueueList, queuesSource } from './queues.ts';
import type { SqlDialect } from './sql.ts';
import { tenantsSource } from './tenants.ts';
import { type MetricSource, notConfiguredSource } from './types.ts';

export interface DefaultSourcesOptions {
  // biome-ignore lint/suspicious/noExplicitAny: the application's database.
  db?: Kysely<any> | undefined;
  dialect?: SqlDialect | undefined;
  /** The application's Redis, where the queues live. */
  redis?: Redis | undefined;
  /** METRICS_QUEUES entries: BullMQ names and `list:<key>`. */
  queues?: readonly string[];
  /** BullMQ key prefix (METRICS_QUEUE_PREFIX). */
  queuePrefix?: string;
  /** APP_TIMEZONE for "today". */
  timezone?: string;
  /** Per-source timeout; default the scheduler's. */
  timeoutMs?: number;
}

/** queues, database, tenants and bookings_today; sources without their backend report "not configured". */
export function createDefaultSources(options: DefaultSourcesOptions): MetricSource[] {
  const { bullmq, lists } = parseQueueList(options.queues ?? []);
  const timeoutMs = options.timeoutMs;
  const sources: MetricSource[] = [
    queuesSource({ redis: options.redis, bullmq, lists, prefix: options.queuePrefix, timeoutMs }),
  ];
  const db = options.db;
  if (db === undefined) {
    const reason = 'no database configured (DATABASE_URL)';
    sources.push(
      notConfiguredSource('database', [catalog.databaseConnections, catalog.databaseMaxConnections], reason),
      notConfiguredSource('tenants', [catalog.activeTenants], reason),
      notConfiguredSource('bookings_today', [catalog.bookingsToday], reason),
    );
    return sources;
  }
  sources.push(
    databaseSource({ db, dialect: options.dialect ?? 'sqlite', timeoutMs }),
    tenantsSource({ db, timeoutMs }),
    bookingsTodaySource({ db, timezone: options.timezone, timeoutMs }),
  );
  return sources;
}
