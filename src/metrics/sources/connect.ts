/**
 * The one database opener, for the service, the CLI and services that do not hand in their own:
 * DATABASE_URL `postgres://` / `postgresql://` (pg), `mysql://` / `mariadb://` (mysql2), `sqlite:<path>`,
 * `sqlite::memory:` or a plain file path (better-sqlite3; default `data/askproai.sqlite`). Drivers are
 * imported only when used. Collectors and the service receive the Kysely instance it opens.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Kysely, LogConfig } from 'kysely';
import { DEFAULTS } from '../defaults.ts';
import type { SqlDialect } from './sql.ts';
import { SourceConfigError } from './types.ts';

/** Where the reference service keeps its embedded database when DATABASE_URL is not set. */
export const DEFAULT_SQLITE_PATH: string = DEFAULTS.sqlitePath;

export interface DatabaseTarget {
  dialect: SqlDialect;
  /** The connection URL (postgres, mysql) or the SQLite file (`:memory:` for a private in-memory one). */
  location: string;
}

export interface OpenedDatabase {
  // biome-ignore lint/suspicious/noExplicitAny: the caller types its own tables.
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
  /** Pool size for PostgreSQL/MySQL. Default 10. */
  poolSize?: number;
  /** Connection (and SQLite busy) timeout in ms. Default 5000. */
  connectTimeoutMs?: number;
  /** SQLite: refuse to create the file when it does not exist. Default false (create it and its folder). */
  mustExist?: boolean;
}

/** Works out the dialect from DATABASE_URL; throws naming the variable, never echoing credentials. */
export function parseDatabaseUrl(url: string | undefined): DatabaseTarget {
  const value = url?.trim() ?? '';
  if (value === '') return { dialect: 'sqlite', location: DEFAULT_SQLITE_PATH };
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return { dialect: 'postgres', location: value };
  if (scheme === 'mysql' || scheme === 'mariadb')
    return { dialect: 'mysql', location: value.replace(/^mariadb:/i, 'mysql:') };
  if (scheme === 'sqlite' || scheme === 'file') {
    const rest = value
      .slice(scheme.length + 1)
      .replace(/^\/\/(?=\/)/, '')
      .replace(/^\/\/(?!\/)/, '');
    if (rest === '')
      throw new SourceConfigError(
        'DATABASE_URL: a sqlite: URL needs a file path, e.g. sqlite:data/askproai.sqlite',
      );
    return { dialect: 'sqlite', location: rest };
  }
  // Windows drive letters aside, any other scheme is a mistake rather than a file name.
  if (scheme !== undefined && scheme.length > 1) {
    throw new SourceConfigError(
      `DATABASE_URL: unsupported scheme "${scheme}:"; expected postgres://, mysql://, sqlite:<path> or a file path`,
    );
  }
  return { dialect: 'sqlite', location: value };
}

/** Which driver a DATABASE_URL selects; throws naming DATABASE_URL for anything else. */
export function dialectOf(url: string): SqlDialect {
  return parseDatabaseUrl(url).dialect;
}

/** The URL with its password replaced, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@');
}

// pg returns BIGINT (int8, oid 20) and COUNT(*) as strings; every value we read fits a double.
const INT8_OID = 20;

/** Opens the database that `url` names (undefined: the default embedded SQLite file). */
export async function openDatabase(
  url: string | undefined,
  options: OpenDatabaseOptions = {},
): Promise<OpenedDatabase> {
  const target = parseDatabaseUrl(url);
  const kysely = await import('kysely');
  const poolSize = options.poolSize ?? DEFAULTS.dbPoolSize;
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULTS.dbConnectTimeoutMs;
  let db: Kysely<unknown>;
  if (target.dialect === 'postgres') {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({
      connectionString: target.location,
      max: poolSize,
      connectionTimeoutMillis: connectTimeoutMs,
      types: {
        getTypeParser(oid: number, format?: 'text' | 'binary') {
          if (oid === INT8_OID) return (v: string) => (v === null ? null : Number(v));
          return pg.types.getTypeParser(oid, format as 'text');
        },
      },
    });
    // An idle client losing its server must not crash the process; the next query reports it.
    pool.on('error', () => {});
    db = new kysely.Kysely({ dialect: new kysely.PostgresDialect({ pool }), log: options.log });
    return opened(db, 'postgres', pool, redactUrl(target.location));
  }
  if (target.dialect === 'mysql') {
    const mysql = await import('mysql2');
    const pool = mysql.createPool({
      uri: target.location,
      connectionLimit: poolSize,
      connectTimeout: connectTimeoutMs,
      supportBigNumbers: true,
    });
    db = new kysely.Kysely({ dialect: new kysely.MysqlDialect({ pool }), log: options.log });
    return opened(db, 'mysql', pool, redactUrl(target.location));
  }
  const file = target.location === ':memory:' ? ':memory:' : resolve(target.location);
  const { default: Database } = await import('better-sqlite3');
  let database: InstanceType<typeof Database>;
  try {
    if (file !== ':memory:' && !options.mustExist) mkdirSync(dirname(file), { recursive: true });
    database = new Database(file, { fileMustExist: options.mustExist ?? false, timeout: connectTimeoutMs });
    if (file !== ':memory:') database.pragma('journal_mode = WAL');
  } catch (err) {
    throw new Error(`cannot open SQLite database ${file}: ${(err as Error).message}`);
  }
  db = new kysely.Kysely({ dialect: new kysely.SqliteDialect({ database }), log: options.log });
  return opened(db, 'sqlite', undefined, `sqlite:${file}`);
}

function opened(db: Kysely<unknown>, dialect: SqlDialect, pool: unknown, display: string): OpenedDatabase {
  let closed: Promise<void> | undefined;
  return {
    db,
    dialect,
    pool,
    display,
    close: () => {
      closed ??= db.destroy();
      return closed;
    },
  };
}
