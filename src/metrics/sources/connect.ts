/**
 * Opens a Kysely database from DATABASE_URL for the CLI and for services that do not hand in their own:
 * `postgres://` / `postgresql://` (pg), `mysql://` / `mariadb://` (mysql2), `sqlite:<path>` or a plain
 * file path (better-sqlite3). Drivers are imported only when used.
 */
import { resolve } from 'node:path';
import type { Kysely, LogConfig } from 'kysely';
import type { SqlDialect } from './sql.ts';
import { SourceConfigError } from './types.ts';

/** Where the reference service keeps its embedded database when DATABASE_URL is not set. */
export const DEFAULT_SQLITE_PATH = 'data/askproai.sqlite';

export interface OpenedDatabase {
  // biome-ignore lint/suspicious/noExplicitAny: the monitoring reads tables it does not own.
  db: Kysely<any>;
  dialect: SqlDialect;
  /** The driver's pool (pg.Pool or mysql2 Pool) for pool gauges; undefined for SQLite. */
  pool: unknown;
  /** Where it points, without credentials, for messages. */
  display: string;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** Kysely `log` option (e.g. the query instrumentation). */
  log?: LogConfig;
  /** Pool size for PostgreSQL/MySQL. Default 5. */
  poolSize?: number;
  /** Connection timeout in ms. Default 5000. */
  connectTimeoutMs?: number;
  /** SQLite: refuse to create the file when it does not exist. Default false. */
  mustExist?: boolean;
}

/** Which driver a DATABASE_URL selects; throws naming DATABASE_URL for anything else. */
export function dialectOf(url: string): SqlDialect {
  if (/^postgres(ql)?:\/\//i.test(url)) return 'postgres';
  if (/^(mysql|mariadb):\/\//i.test(url)) return 'mysql';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !/^sqlite:|^file:/i.test(url)) {
    throw new SourceConfigError(
      'DATABASE_URL: expected postgres://, mysql://, sqlite:<path> or a file path (the scheme is not supported)',
    );
  }
  return 'sqlite';
}

/** The URL with its password replaced, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@');
}

function sqlitePath(url: string): string {
  const path = url.replace(/^sqlite:(\/\/)?/i, '').replace(/^file:(\/\/)?/i, '');
  if (path === '')
    throw new SourceConfigError('DATABASE_URL: sqlite: needs a file path, e.g. sqlite:data/askproai.sqlite');
  return path === ':memory:' ? path : resolve(path);
}

/** Opens the database that `url` names (undefined: the default embedded SQLite file). */
export async function openDatabase(
  url: string | undefined,
  options: OpenDatabaseOptions = {},
): Promise<OpenedDatabase> {
  const target = url ?? DEFAULT_SQLITE_PATH;
  const dialect = dialectOf(target);
  const kysely = await import('kysely');
  const poolSize = options.poolSize ?? 5;
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  if (dialect === 'postgres') {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({
      connectionString: target,
      max: poolSize,
      connectionTimeoutMillis: connectTimeoutMs,
    });
    // An idle client that loses its server must not crash the process.
    pool.on('error', () => {});
    const db = new kysely.Kysely({ dialect: new kysely.PostgresDialect({ pool }), log: options.log });
    return { db, dialect, pool, display: redactUrl(target), close: () => db.destroy() };
  }
  if (dialect === 'mysql') {
    const mysql = await import('mysql2');
    const pool = mysql.createPool({
      uri: target.replace(/^mariadb:/i, 'mysql:'),
      connectionLimit: poolSize,
      connectTimeout: connectTimeoutMs,
    });
    const db = new kysely.Kysely({ dialect: new kysely.MysqlDialect({ pool }), log: options.log });
    return { db, dialect, pool, display: redactUrl(target), close: () => db.destroy() };
  }
  const path = sqlitePath(target);
  const { default: Database } = await import('better-sqlite3');
  let database: InstanceType<typeof Database>;
  try {
    database = new Database(path, { fileMustExist: options.mustExist ?? false, timeout: connectTimeoutMs });
  } catch (err) {
    throw new Error(`cannot open SQLite database ${path}: ${(err as Error).message}`);
  }
  const db = new kysely.Kysely({ dialect: new kysely.SqliteDialect({ database }), log: options.log });
  return { db, dialect, pool: undefined, display: `sqlite:${path}`, close: () => db.destroy() };
}
