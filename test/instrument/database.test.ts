/** Query instrumentation on real databases: Kysely's log hook, pg and mysql2 pool wrappers, pool gauges. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import mysql from 'mysql2';
import mysqlPromise from 'mysql2/promise';
import pg from 'pg';
import { MetricsCollector } from '../../src/metrics/collector.ts';
import { kyselyQueryLogger } from '../../src/metrics/instrument/kysely.ts';
import { instrumentMysqlPool } from '../../src/metrics/instrument/mysql2.ts';
import { operationOfSql } from '../../src/metrics/instrument/operation.ts';
import { instrumentPgPool } from '../../src/metrics/instrument/pg.ts';
import { observePool } from '../../src/metrics/instrument/pool.ts';
import { createRegistry } from '../../src/metrics/registry.ts';
import { openDatabase } from '../../src/metrics/sources/connect.ts';
import type { SqlDialect } from '../../src/metrics/sources/sql.ts';
import { createContractTables, type TestDatabase, testDatabase } from '../collect/support.ts';
import { type FreshDb, freshMysqlDb, freshPostgresDb } from '../support/databases.ts';

function count(text: string, op: string): number {
  const m = new RegExp(
    `^askproai_database_query_duration_seconds_count\\{operation="${op}"\\} (\\d+)$`,
    'm',
  ).exec(text);
  return m ? Number(m[1]) : 0;
}

function slow(text: string, op: string): number {
  const m = new RegExp(`^askproai_database_slow_queries_total\\{operation="${op}"\\} (\\d+)$`, 'm').exec(
    text,
  );
  return m ? Number(m[1]) : 0;
}

test('statement kinds from SQL text', () => {
  assert.equal(operationOfSql('  /* c */ SELECT 1'), 'select');
  assert.equal(operationOfSql('(select 1) union (select 2)'), 'select');
  assert.equal(operationOfSql('-- note\ninsert into t values (1)'), 'insert');
  assert.equal(operationOfSql('REPLACE INTO t VALUES (1)'), 'insert');
  assert.equal(operationOfSql('update t set a = 1'), 'update');
  assert.equal(operationOfSql('DELETE FROM t'), 'delete');
  assert.equal(operationOfSql('WITH x AS (SELECT 1) SELECT * FROM x'), 'other');
  assert.equal(operationOfSql('create table t (a int)'), 'other');
  assert.equal(operationOfSql(undefined), 'other');
});

for (const dialect of ['sqlite', 'postgres', 'mysql'] as SqlDialect[]) {
  describe(`Kysely log hook on ${dialect}`, () => {
    let tdb: TestDatabase;
    const registry = createRegistry();
    const collector = new MetricsCollector(registry);
    before(async () => {
      tdb = await testDatabase(dialect);
      await createContractTables(tdb.db);
    });
    after(async () => {
      await tdb?.dispose();
    });

    test('every query is observed by statement kind, with no SQL text or values in labels', async () => {
      const opened = await openDatabase(tdb.url, { log: kyselyQueryLogger(collector) });
      try {
        const db = opened.db;
        await db
          .insertInto('companies')
          .values({ id: 'cmp_secret_name', name: 'Jane Doe', is_active: 1 })
          .execute();
        await db.insertInto('companies').values({ id: 'cmp_2', name: 'x', is_active: 0 }).execute();
        await db.selectFrom('companies').selectAll().execute();
        await db.selectFrom('companies').select('id').where('is_active', '=', 1).execute();
        await db.updateTable('companies').set({ is_active: 1 }).where('id', '=', 'cmp_2').execute();
        await db.deleteFrom('companies').where('id', '=', 'cmp_2').execute();
        await sql`SELECT 1`.execute(db);
        await assert.rejects(db.selectFrom('no_such_table').selectAll().execute());
      } finally {
        await opened.close();
      }
      const text = registry.expose();
      assert.equal(count(text, 'insert'), 2);
      assert.equal(count(text, 'select'), 4, 'two builder selects, one raw, one failed');
      assert.equal(count(text, 'update'), 1);
      assert.equal(count(text, 'delete'), 1);
      assert.doesNotMatch(text, /cmp_secret_name|Jane Doe/);
      const ops = new Set([...text.matchAll(/operation="([^"]*)"/g)].map((m) => m[1]));
      assert.deepEqual([...ops].sort(), ['delete', 'insert', 'select', 'update']);
    });
  });
}

describe('pg Pool wrapper', () => {
  let fresh: FreshDb;
  before(async () => {
    fresh = await freshPostgresDb();
  });
  after(async () => {
    await fresh?.drop();
  });

  test('pool.query (promise and callback) and checked-out clients are timed; slow ones counted; pool gauges', async () => {
    const registry = createRegistry();
    const collector = new MetricsCollector(registry, { slowQuerySeconds: 0.1 });
    const pool = instrumentPgPool(new pg.Pool({ connectionString: fresh.url, max: 3 }), collector);
    observePool(collector, pool);
    try {
      await pool.query('CREATE TABLE t (a int)');
      await pool.query('INSERT INTO t VALUES ($1)', [1]);
      await new Promise<void>((resolve, reject) =>
        pool.query('SELECT * FROM t', (err: Error | null) => (err ? reject(err) : resolve())),
      );
      const client = await pool.connect();
      const other = await pool.connect();
      await client.query({ text: 'UPDATE t SET a = 2' });
      await client.query('SELECT pg_sleep(0.15)');
      let text = registry.expose();
      assert.match(text, /^askproai_database_pool_connections\{state="total"\} 2$/m);
      assert.match(text, /^askproai_database_pool_connections\{state="idle"\} 0$/m);
      client.release();
      other.release();
      await assert.rejects(pool.query('DELETE FROM missing'));
      text = registry.expose();
      assert.equal(count(text, 'other'), 1);
      assert.equal(count(text, 'insert'), 1);
      assert.equal(count(text, 'select'), 2);
      assert.equal(count(text, 'update'), 1);
      assert.equal(count(text, 'delete'), 1, 'failed queries are timed too');
      assert.equal(slow(text, 'select'), 1);
      // pg destroys a client released after an error, so the totals shrink; all that remain are idle.
      const total = /^askproai_database_pool_connections\{state="total"\} (\d+)$/m.exec(text)![1];
      assert.match(text, new RegExp(`^askproai_database_pool_connections\\{state="idle"\\} ${total}$`, 'm'));
      assert.match(text, /^askproai_database_pool_connections\{state="waiting"\} 0$/m);
    } finally {
      await pool.end();
    }
  });
});

describe('mysql2 pool wrapper', () => {
  let fresh: FreshDb;
  before(async () => {
    fresh = await freshMysqlDb();
  });
  after(async () => {
    await fresh?.drop();
  });

  test('promise pools (query, execute) and callback pools are timed', async () => {
    const registry = createRegistry();
    const collector = new MetricsCollector(registry);
    const pool = instrumentMysqlPool(
      mysqlPromise.createPool({ uri: fresh.url, connectionLimit: 2 }),
      collector,
    );
    observePool(collector, pool);
    const cbPool = instrumentMysqlPool(mysql.createPool({ uri: fresh.url, connectionLimit: 1 }), collector);
    try {
      await pool.query('CREATE TABLE t (a int)');
      await pool.execute('INSERT INTO t VALUES (?)', [1]);
      await pool.query('SELECT * FROM t');
      await new Promise<void>((resolve, reject) =>
        cbPool.query('UPDATE t SET a = 3', (err) => (err ? reject(err) : resolve())),
      );
      await new Promise<void>((resolve, reject) =>
        cbPool.execute('SELECT a FROM t WHERE a = ?', [3], (err) => (err ? reject(err) : resolve())),
      );
      const text = registry.expose();
      assert.equal(count(text, 'other'), 1);
      assert.equal(count(text, 'insert'), 1);
      assert.equal(count(text, 'select'), 2);
      assert.equal(count(text, 'update'), 1);
      assert.match(text, /^askproai_database_pool_connections\{state="total"\} [12]$/m);
    } finally {
      await pool.end();
      await new Promise((r) => cbPool.end(r));
    }
  });
});
