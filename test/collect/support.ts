/** Shared fixtures for the collector tests: the service's table contract in each dialect. */
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { type OpenedDatabase, openDatabase } from '../../src/metrics/sources/connect.ts';
import type { SqlDialect } from '../../src/metrics/sources/sql.ts';
import { freshMysqlDb, freshPostgresDb } from '../support/databases.ts';
import { makeTempDir, removeTempDir } from '../support/processes.ts';

// biome-ignore lint/suspicious/noExplicitAny: test tables of any dialect.
type AnyDb = Kysely<any>;

export interface TestDatabase extends OpenedDatabase {
  url: string;
  /** Close the connection and drop the database. */
  dispose(): Promise<void>;
}

/** A fresh, empty database of the dialect, opened through the same code the CLI uses. */
export async function testDatabase(dialect: SqlDialect): Promise<TestDatabase> {
  let url: string;
  let drop: () => Promise<void>;
  if (dialect === 'postgres') {
    const fresh = await freshPostgresDb();
    url = fresh.url;
    drop = fresh.drop;
  } else if (dialect === 'mysql') {
    const fresh = await freshMysqlDb();
    url = fresh.url;
    drop = fresh.drop;
  } else {
    const dir = await makeTempDir('sqlite');
    url = `sqlite:${join(dir, 'askproai.sqlite')}`;
    drop = () => removeTempDir(dir);
  }
  const opened = await openDatabase(url);
  return {
    ...opened,
    url,
    async dispose() {
      await opened.close().catch(() => {});
      await drop();
    },
  };
}

export async function createContractTables(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('companies')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(200)')
    .addColumn('is_active', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('bookings')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('company_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('status', 'varchar(32)', (c) => c.notNull())
    .addColumn('source', 'varchar(32)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}

export interface BookingRow {
  id: number;
  company_id: string;
  status: string;
  source: string;
  created_at: number;
}

export async function insertCompanies(
  db: AnyDb,
  rows: Array<{ id: string; is_active: number }>,
): Promise<void> {
  if (rows.length > 0)
    await db
      .insertInto('companies')
      .values(rows.map((r) => ({ ...r, name: `Company ${r.id}` })))
      .execute();
}

export async function insertBookings(db: AnyDb, rows: BookingRow[]): Promise<void> {
  if (rows.length > 0) await db.insertInto('bookings').values(rows).execute();
}
