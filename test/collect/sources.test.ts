/**
 * Each shipped collector's numbers against what SQLite, PostgreSQL, MariaDB and Redis/BullMQ really hold.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { BOOKING_STATUSES, catalog } from '../../src/metrics/catalog.ts';
import { bookingsTodaySource, OTHER_BOOKING_STATUS } from '../../src/metrics/sources/bookings-today.ts';
import { databaseSource } from '../../src/metrics/sources/database.ts';
import { startOfLocalDay } from '../../src/metrics/sources/local-midnight.ts';
import { parseQueueList, queuesSource } from '../../src/metrics/sources/queues.ts';
import type { SqlDialect } from '../../src/metrics/sources/sql.ts';
import { tenantsSource } from '../../src/metrics/sources/tenants.ts';
import { type Sample, SourceConfigError } from '../../src/metrics/sources/types.ts';
import { redisKeyPrefix } from '../support/databases.ts';
import { redisUrl } from '../support/env.ts';
import { waitFor } from '../support/wait.ts';
import {
  type BookingRow,
  createContractTables,
  insertBookings,
  insertCompanies,
  type TestDatabase,
  testDatabase,
} from './support.ts';

const signal = new AbortController().signal;
const value = (samples: Sample[], metric: unknown, ...labels: string[]) =>
  samples.find((s) => s.metric === metric && (s.labels ?? []).join('|') === labels.join('|'))?.value;

const TZ = 'Europe/Berlin';
// A fixed "now" on the day clocks spring forward, where a naive 24 h window would be wrong.
const NOW = Date.parse('2025-03-30T20:00:00Z');
const MIDNIGHT = startOfLocalDay(NOW, TZ);

function bookingRows(): BookingRow[] {
  const rows: BookingRow[] = [];
  const statuses = ['confirmed', 'confirmed', 'cancelled', 'pending', 'no_show', 'weird_status', 'confirmed'];
  const times = [
    MIDNIGHT,
    MIDNIGHT + 1,
    MIDNIGHT - 1,
    NOW - 60_000,
    MIDNIGHT - 86_400_000,
    NOW,
    MIDNIGHT + 3_600_000,
  ];
  let id = 1;
  for (const status of statuses) {
    for (const created of times) {
      if ((id * 7) % 3 === 0 && status === 'pending') {
        id++;
        continue; // an uneven mix
      }
      rows.push({ id: id++, company_id: 'cmp_a', status, source: 'phone', created_at: created });
    }
  }
  return rows;
}

for (const dialect of ['sqlite', 'postgres', 'mysql'] as SqlDialect[]) {
  describe(`database collectors on ${dialect}`, () => {
    let tdb: TestDatabase;
    const rows = bookingRows();
    const companies = [
      { id: 'cmp_a', is_active: 1 },
      { id: 'cmp_b', is_active: 0 },
      { id: 'cmp_c', is_active: 1 },
      { id: 'cmp_d', is_active: 1 },
      { id: 'cmp_e', is_active: 0 },
    ];

    before(async () => {
      tdb = await testDatabase(dialect);
      await createContractTables(tdb.db);
      await insertCompanies(tdb.db, companies);
      await insertBookings(tdb.db, rows);
    });
    after(async () => {
      await tdb?.dispose();
    });

    test('tenants counts the active companies', async () => {
      const samples = await tenantsSource({ db: tdb.db }).collect(signal);
      const expected = companies.filter((c) => c.is_active === 1).length;
      assert.equal(value(samples, catalog.activeTenants), expected);
      // A configurable "active": inactive ones instead.
      const inactive = await tenantsSource({ db: tdb.db, activeValue: 0 }).collect(signal);
      assert.equal(value(inactive, catalog.activeTenants), companies.length - expected);
    });

    test('bookings today counts since local midnight per status', async () => {
      const samples = await bookingsTodaySource({ db: tdb.db, timezone: TZ, now: () => NOW }).collect(signal);
      const today = rows.filter((r) => r.created_at >= MIDNIGHT);
      for (const status of BOOKING_STATUSES) {
        assert.equal(
          value(samples, catalog.bookingsToday, status),
          today.filter((r) => r.status === status).length,
          status,
        );
      }
      const known = new Set<string>(BOOKING_STATUSES);
      assert.equal(
        value(samples, catalog.bookingsToday, OTHER_BOOKING_STATUS),
        today.filter((r) => !known.has(r.status)).length,
      );
      const total = samples.reduce((a, s) => a + s.value, 0);
      assert.equal(total, today.length);
      assert.ok(total < rows.length, 'yesterday is left out');
    });

    test('the server connection count and limit', async () => {
      if (dialect === 'sqlite') {
        // The embedded database: the one connection the service holds, limit one.
        const samples = await databaseSource({ db: tdb.db, dialect }).collect(signal);
        assert.equal(value(samples, catalog.databaseConnections), 1);
        assert.equal(value(samples, catalog.databaseMaxConnections), 1);
        return;
      }
      // The limit is exact; the count moves with other clients of the shared server, so it is checked
      // against connections this test holds open at the time.
      if (dialect === 'postgres') {
        const clients = await Promise.all(
          Array.from({ length: 4 }, async () => {
            const c = new pg.Client({ connectionString: tdb.url });
            await c.connect();
            return c;
          }),
        );
        try {
          const fresh = await databaseSource({ db: tdb.db, dialect }).collect(signal);
          const max = await clients[0]!.query('SHOW max_connections');
          assert.equal(value(fresh, catalog.databaseMaxConnections), Number(max.rows[0].max_connections));
          const conns = value(fresh, catalog.databaseConnections)!;
          assert.ok(conns >= clients.length + 1, `${conns} >= ${clients.length + 1}`);
          assert.ok(conns <= value(fresh, catalog.databaseMaxConnections)!);
        } finally {
          await Promise.all(clients.map((c) => c.end()));
        }
      } else {
        const conns = await Promise.all(Array.from({ length: 4 }, () => mysql.createConnection(tdb.url)));
        try {
          const fresh = await databaseSource({ db: tdb.db, dialect }).collect(signal);
          const [rowsMax] = await conns[0]!.query('SELECT @@GLOBAL.max_connections AS m');
          assert.equal(
            value(fresh, catalog.databaseMaxConnections),
            Number((rowsMax as Array<{ m: number }>)[0]!.m),
          );
          const n = value(fresh, catalog.databaseConnections)!;
          assert.ok(n >= conns.length + 1, `${n} >= ${conns.length + 1}`);
        } finally {
          await Promise.all(conns.map((c) => c.end()));
        }
      }
    });

    test('a bad table setting fails at construction and names the setting', () => {
      assert.throws(
        () => tenantsSource({ db: tdb.db, table: 'companies; drop table x' }),
        (err: Error) => {
          assert.ok(err instanceof SourceConfigError);
          assert.match(err.message, /tenants source `table`/);
          return true;
        },
      );
      assert.throws(() => bookingsTodaySource({ db: tdb.db, timezone: 'Mars/Base' }), /APP_TIMEZONE/);
    });

    test('a missing table is a collection error, not a crash', async () => {
      await assert.rejects(tenantsSource({ db: tdb.db, table: 'no_such_table' }).collect(signal));
    });
  });
}

describe('queues collector on Redis', () => {
  let redis: Redis;
  const prefix = redisKeyPrefix('bullq').slice(0, -1);
  const connection = { url: redisUrl(), maxRetriesPerRequest: null };
  let queues: Queue[] = [];

  before(() => {
    redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  });
  after(async () => {
    await Promise.all(queues.map((q) => q.obliterate({ force: true }).catch(() => {})));
    await Promise.all(queues.map((q) => q.close()));
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  test('BullMQ states and queue_size equal what BullMQ itself counts', async () => {
    const emails = new Queue('emails', { connection, prefix });
    const webhooks = new Queue('webhooks', { connection, prefix });
    queues = [emails, webhooks];
    // Some finished jobs first: one completed, two failed.
    await emails.add('ok', { fail: false });
    await emails.add('bad', { fail: true });
    await emails.add('bad', { fail: true });
    const worker = new Worker(
      'emails',
      async (job) => {
        if (job.data.fail) throw new Error('boom');
      },
      { connection, prefix },
    );
    await waitFor(async () => (await emails.getJobCounts('completed', 'failed')).failed === 2 || undefined, {
      what: 'the worker to finish the first jobs',
    });
    await worker.close();
    for (let i = 0; i < 5; i++) await emails.add('wait', { i });
    for (let i = 0; i < 2; i++) await emails.add('later', { i }, { delay: 600_000 });
    for (let i = 0; i < 3; i++) await emails.add('prio', { i }, { priority: i + 1 });
    for (let i = 0; i < 4; i++) await webhooks.add('wait', { i });

    const samples = await queuesSource({ redis, bullmq: ['emails', 'webhooks'], prefix }).collect(signal);
    for (const q of queues) {
      const counts = await q.getJobCounts(
        'waiting',
        'delayed',
        'prioritized',
        'active',
        'completed',
        'failed',
      );
      for (const [state, n] of Object.entries(counts)) {
        assert.equal(value(samples, catalog.queueJobs, q.name, state), n, `${q.name} ${state}`);
      }
      assert.equal(
        value(samples, catalog.queueSize, q.name),
        counts.waiting! + counts.delayed! + counts.prioritized!,
      );
    }
    assert.equal(value(samples, catalog.queueSize, 'emails'), 10);
  });

  test('plain Redis list queues are counted with LLEN', async () => {
    const key = `${prefix}:queues:mail`;
    await redis.rpush(key, 'a', 'b', 'c');
    const samples = await queuesSource({ redis, lists: [key] }).collect(signal);
    assert.equal(value(samples, catalog.queueSize, key), await redis.llen(key));
    assert.equal(value(samples, catalog.queueJobs, key, 'waiting'), 3);
  });

  test('without Redis the collector is "not configured", not failing', () => {
    const src = queuesSource({ redis: undefined, bullmq: ['default'] });
    assert.match(src.notConfigured ?? '', /REDIS_URL/);
  });

  test('METRICS_QUEUES entries are checked and named in the error', () => {
    assert.deepEqual(parseQueueList(['default', 'list:queues:mail']), {
      bullmq: ['default'],
      lists: ['queues:mail'],
    });
    assert.throws(() => parseQueueList(['bad name']), /METRICS_QUEUES: "bad name"/);
  });
});
