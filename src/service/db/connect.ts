/**
 * Opens the service database from DATABASE_URL: PostgreSQL (`postgres://`), MySQL/MariaDB (`mysql://`,
 * `mariadb://`) or SQLite (`sqlite:PATH`, `sqlite::memory:` or a plain file path; the default is the
 * embedded file `data/askproai.sqlite`). The same Kysely code and migrations serve all three.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, type KyselyConfig, MysqlDialect, PostgresDialect, SqliteDialect } from 'kysely';
import { createPool as createMysqlPool } from 'mysql2';
import pg from 'pg';
import { migrateToLatest } from './migrations.ts';
import type { ServiceTables } from './schema.ts';
import { seedDemoTenant } from './seed.ts';

export type DbDialect = 'sqlite' | 'postgres' | 'mysql';
export type ServiceDb = Kysely<ServiceTables>;

export const DEFAULT_SQLITE_FILE = 'data/askproai.sqlite';

export interface DatabaseTarget {
  dialect: DbDialect;
  /** The connection URL (postgres, mysql) or the SQLite file (`:memory:` for a private in-memory one). */
  location: string;
}

export interface OpenDatabaseOptions {
  /** Kysely's query log hook (query instrumentation). */
  log?: KyselyConfig['log'];
  /** Run the migrations (default true). */
  migrate?: boolean;
  /** Seed the demo tenant when no company exists yet (default true). */
  seed?: boolean;
  /** Pool size for PostgreSQL and MySQL (default 10). */
  poolSize?: number;
}

export interface ServiceDatabase {
  db: ServiceDb;
  dialect: DbDialect;
  /** Where it is, for the start-up banner; passwords are masked. */
  description: string;
  /** The pg or mysql2 pool (for pool metrics); undefined for SQLite. */
  pool: pg.Pool | ReturnType<typeof createMysqlPool> | undefined;
  close(): Promise<void>;
}

/** Works out the dialect from DATABASE_URL; throws naming the variable (never echoing credentials). */
export function parseDatabaseUrl(url: string | undefined): DatabaseTarget {
  const value = url?.trim() ?? '';
  if (value === '') return { dialect: 'sqlite', location: DEFAULT_SQLITE_FILE };
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return { dialect: 'postgres', location: value };
  if (scheme === 'mysql' || scheme === 'mariadb') {
    return { dialect: 'mysql', location: value.replace(/^mariadb:/i, 'mysql:') };
  }
  if (scheme === 'sqlite' || scheme === 'file') {
    const rest = value
      .slice(scheme.length + 1)
      .replace(/^\/\/(?=\/)/, '')
      .replace(/^\/\/(?!\/)/, '');
    if (rest === '')
      throw new Error('DATABASE_URL: a sqlite: URL needs a file path, e.g. sqlite:data/askproai.sqlite');
    return { dialect: 'sqlite', location: rest === ':memory:' ? ':memory:' : rest };
  }
  // Windows drive letters aside, any other scheme is a mistake rather than a file name.
  if (scheme !== undefined && scheme.length > 1) {
    throw new Error(
      `DATABASE_URL: unsupported scheme "${scheme}:"; expected postgres://, mysql://, sqlite:PATH or a file path`,
    );
  }
  return { dialect: 'sqlite', location: value };
}

/** The URL with its password masked, for banners and logs. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

// pg returns BIGINT (int8, oid 20) and COUNT(*) as strings; every value we store fits a double.
const INT8_OID = 20;
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID) return (v: string) => (v === null ? null : Number(v));
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

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
  const target = parseDatabaseUrl(url);
  const poolSize = options.poolSize ?? 10;
  let db: ServiceDb;
  let pool: ServiceDatabase['pool'];
  let description: string;
  if (target.dialect === 'postgres') {
    const pgPool = new pg.Pool({ connectionString: target.location, max: poolSize, types: pgTypes });
    // An idle client losing its server must not crash the process; the next query reports it.
    pgPool.on('error', () => {});
    pool = pgPool;
    db = new Kysely<ServiceTables>({ dialect: new PostgresDialect({ pool: pgPool }), log: options.log });
    description = `PostgreSQL ${maskUrl(target.location)}`;
  } else if (target.dialect === 'mysql') {
    const mysqlPool = createMysqlPool({
      uri: target.location,
      connectionLimit: poolSize,
      supportBigNumbers: true,
    });
    pool = mysqlPool;
    db = new Kysely<ServiceTables>({ dialect: new MysqlDialect({ pool: mysqlPool }), log: options.log });
    description = `MySQL/MariaDB ${maskUrl(target.location)}`;
  } else {
    const file = target.location === ':memory:' ? ':memory:' : resolve(target.location);
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const sqlite = new SqliteDatabase(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('busy_timeout = 5000');
    db = new Kysely<ServiceTables>({ dialect: new SqliteDialect({ database: sqlite }), log: options.log });
    description = file === ':memory:' ? 'SQLite (in memory)' : `SQLite ${file}`;
  }
  try {
    if (options.migrate !== false) await migrateToLatest(db as Kysely<unknown>);
    if (options.seed !== false) await seedDemoTenant(db);
  } catch (err) {
    await db.destroy().catch(() => {});
    throw err;
  }
  let closed: Promise<void> | undefined;
  return {
    db,
    dialect: target.dialect,
    description,
    pool,
    close: () => {
      closed ??= db.destroy();
      return closed;
    },
  };
}
