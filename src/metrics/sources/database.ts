/**
 * `askproai_database_connections` as the database server counts them (all clients of every instance,
 * which is what the "connections > 80 of 100" alert is about) and `askproai_database_max_connections`.
 *
 * - PostgreSQL: client backends in `pg_stat_activity`; `max_connections` from `pg_settings`.
 * - MySQL/MariaDB: `Threads_connected`; `@@max_connections`.
 * - SQLite (embedded): the one connection the service holds, and a limit of one (Kysely's SQLite driver
 *   serialises every query on a single connection), so the panel has a value on a fresh `npm start`.
 *   The connections alert ignores a limit of one: an embedded database cannot run out of connections.
 *
 * The application pool's own total/idle/waiting is per instance and in memory; see
 * `instrument/pool.ts`, which refreshes it at scrape time.
 */
import { type Kysely, sql } from 'kysely';
import { catalog } from '../catalog.ts';
import { assertDialect, isKysely, type SqlDialect, toCount } from './sql.ts';
import { type MetricSource, type Sample, SourceConfigError } from './types.ts';

export interface DatabaseSourceOptions {
  // biome-ignore lint/suspicious/noExplicitAny: the source runs raw catalog queries only.
  db: Kysely<any>;
  dialect: SqlDialect;
  timeoutMs?: number;
}

const METRICS = [catalog.databaseConnections, catalog.databaseMaxConnections];

export function databaseSource(options: DatabaseSourceOptions): MetricSource {
  if (!isKysely(options.db)) throw new SourceConfigError('database source: `db` must be a Kysely instance');
  const dialect = assertDialect('database source `dialect`', options.dialect);
  const db = options.db;
  const read = dialect === 'postgres' ? readPostgres : dialect === 'mysql' ? readMysql : readSqlite;
  return {
    name: 'database',
    metrics: METRICS,
    timeoutMs: options.timeoutMs,
    async collect() {
      const { connections, max } = await read(db);
      const samples: Sample[] = [{ metric: catalog.databaseConnections, value: connections }];
      if (max !== undefined) samples.push({ metric: catalog.databaseMaxConnections, value: max });
      return samples;
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: see above.
async function readSqlite(db: Kysely<any>): Promise<{ connections: number; max: number | undefined }> {
  // A query proves the connection is open (a closed database throws here instead of reporting 1).
  await sql`SELECT 1`.execute(db);
  return { connections: 1, max: 1 };
}

// biome-ignore lint/suspicious/noExplicitAny: see above.
async function readPostgres(db: Kysely<any>): Promise<{ connections: number; max: number | undefined }> {
  const [count, setting] = await Promise.all([
    sql<{
      n: string;
    }>`SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = 'client backend'`.execute(db),
    sql<{ setting: string }>`SELECT setting FROM pg_settings WHERE name = 'max_connections'`.execute(db),
  ]);
  const max = setting.rows[0]?.setting;
  return { connections: toCount(count.rows[0]?.n), max: max === undefined ? undefined : toCount(max) };
}

// biome-ignore lint/suspicious/noExplicitAny: see above.
async function readMysql(db: Kysely<any>): Promise<{ connections: number; max: number | undefined }> {
  const [status, max] = await Promise.all([
    sql<{ Value: string }>`SHOW GLOBAL STATUS LIKE 'Threads_connected'`.execute(db),
    sql<{ n: number }>`SELECT @@GLOBAL.max_connections AS n`.execute(db),
  ]);
  const m = max.rows[0]?.n;
  return { connections: toCount(status.rows[0]?.Value), max: m === undefined ? undefined : toCount(m) };
}
