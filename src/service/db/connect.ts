/**
 * The service database: opened by the library's one opener (`src/metrics/sources/connect.ts`, which
 * parses DATABASE_URL), then migrated and, when empty, seeded. PostgreSQL, MySQL/MariaDB or SQLite; the
 * same Kysely code and migrations serve all three.
 */
import type { Kysely, KyselyConfig } from 'kysely';
import {
  DEFAULT_SQLITE_PATH,
  openDatabase as openAny,
  type SqlDialect,
} from '../../metrics/sources/index.ts';
import { migrateToLatest } from './migrations.ts';
import type { ServiceTables } from './schema.ts';
import { seedDemoTenant } from './seed.ts';

export { type DatabaseTarget, parseDatabaseUrl } from '../../metrics/sources/index.ts';

export type DbDialect = SqlDialect;
export type ServiceDb = Kysely<ServiceTables>;

export const DEFAULT_SQLITE_FILE = DEFAULT_SQLITE_PATH;

export interface OpenDatabaseOptions {
  /** Kysely's query log hook (query instrumentation). */
  log?: KyselyConfig['log'];
  /** Run the migrations (default true). */
  migrate?: boolean;
  /** Seed the demo tenant when no company exists yet (default true). */
  seed?: boolean;
  /** Pool size for PostgreSQL and MySQL (default 10, from the library's defaults). */
  poolSize?: number;
}

export interface ServiceDatabase {
  db: ServiceDb;
  dialect: DbDialect;
  /** Where it is, for the start-up banner; passwords are masked. */
  description: string;
  /** The pg or mysql2 pool (for pool metrics); undefined for SQLite. */
  pool: unknown;
  close(): Promise<void>;
}

/**
 * Opens, migrates and (when empty) seeds the service database.
 *
 * ```ts
 * const { db, dialect, close } = await openDatabase(config.databaseUrl);
 * ```
 */
export async function openDatabase(
  url: string | undefined,
  options: OpenDatabaseOptions = {},
): Promise<ServiceDatabase> {
  const opened = await openAny(url, { log: options.log, poolSize: options.poolSize });
  const db = opened.db as ServiceDb;
  try {
    if (options.migrate !== false) await migrateToLatest(db as Kysely<unknown>);
    if (options.seed !== false) await seedDemoTenant(db);
  } catch (err) {
    await opened.close().catch(() => {});
    throw err;
  }
  return {
    db,
    dialect: opened.dialect,
    description: describe(opened.dialect, opened.display),
    pool: opened.pool,
    close: opened.close,
  };
}

function describe(dialect: SqlDialect, display: string): string {
  if (dialect === 'postgres') return `PostgreSQL ${display}`;
  if (dialect === 'mysql') return `MySQL/MariaDB ${display}`;
  return display === 'sqlite::memory:' ? 'SQLite (in memory)' : `SQLite ${display.slice('sqlite:'.length)}`;
}
