// The same code and migrations on the three backends: the embedded SQLite file, PostgreSQL and MariaDB
// (fresh databases on the servers `npm test` starts). Each runs the webhook flows, concurrent retries
// of one delivery (exactly one is processed), the booking API, and a restart over the existing schema.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createMetrics } from '../../src/metrics/setup.ts';
import { buildService } from '../../src/service/app.ts';
import { openDatabase, parseDatabaseUrl } from '../../src/service/db/connect.ts';
import { DEMO_COMPANY, DEMO_SECRETS } from '../../src/service/demo.ts';
import { metricsOptions } from '../../src/service/metrics-options.ts';
import {
  calcomEvent,
  calcomUid,
  retellCallId,
  retellEvent,
  signedCalcom,
  signedRetell,
} from '../../src/service/webhooks/samples.ts';
import { freshMysqlDb, freshPostgresDb } from '../support/databases.ts';
import { makeTempDir, removeTempDir } from '../support/processes.ts';
import { API_HEADERS, metric, scrape, testConfig } from './helpers.ts';

test('DATABASE_URL picks the dialect', () => {
  assert.deepEqual(parseDatabaseUrl(undefined), { dialect: 'sqlite', location: 'data/askproai.sqlite' });
  assert.deepEqual(parseDatabaseUrl('sqlite:/tmp/x.sqlite'), {
    dialect: 'sqlite',
    location: '/tmp/x.sqlite',
  });
  assert.deepEqual(parseDatabaseUrl('sqlite::memory:'), { dialect: 'sqlite', location: ':memory:' });
  assert.deepEqual(parseDatabaseUrl('./var/app.db'), { dialect: 'sqlite', location: './var/app.db' });
  assert.equal(parseDatabaseUrl('postgresql://u:p@h/db').dialect, 'postgres');
  assert.equal(parseDatabaseUrl('mariadb://u:p@h/db').location, 'mysql://u:p@h/db');
  assert.throws(
    () => parseDatabaseUrl('redis://u:secretpw@h/0'),
    (err: Error) => {
      assert.match(err.message, /DATABASE_URL: unsupported scheme "redis:"/);
      assert.doesNotMatch(err.message, /secretpw/);
      return true;
    },
  );
});

const backends: { name: string; url: () => Promise<{ url: string; drop(): Promise<void> }> }[] = [
  {
    name: 'SQLite file',
    url: async () => {
      const dir = await makeTempDir('service-sqlite');
      return { url: `sqlite:${join(dir, 'nested', 'askproai.sqlite')}`, drop: () => removeTempDir(dir) };
    },
  },
  { name: 'PostgreSQL', url: freshPostgresDb },
  { name: 'MariaDB', url: freshMysqlDb },
];

for (const backend of backends) {
  describe(backend.name, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c();
    });

    test('webhooks, concurrent retries, bookings API and a restart', async () => {
      const target = await backend.url();
      cleanups.push(() => target.drop());
      const config = testConfig();
      const metrics = createMetrics(metricsOptions(config));
      const database = await openDatabase(target.url);
      cleanups.push(() => database.close());
      const s = await buildService({ config, metrics, database });
      cleanups.push(() => s.app.close());

      const company = await database.db.selectFrom('companies').selectAll().executeTakeFirstOrThrow();
      assert.equal(company.id, DEMO_COMPANY.id);
      assert.equal(Number(company.is_active), 1);

      // A Retell call flow.
      const callId = retellCallId();
      for (const event of ['call_started', 'call_ended', 'call_analyzed']) {
        const signed = signedRetell(
          retellEvent(event, { callId, disconnectionReason: 'dial_busy' }),
          DEMO_SECRETS.retellApiKey,
        );
        const res = await s.app.inject({
          method: 'POST',
          url: '/api/webhooks/retell',
          headers: signed.headers,
          payload: signed.body,
        });
        assert.equal(res.statusCode, 200, `${event}: ${res.body}`);
      }
      const call = await database.db
        .selectFrom('calls')
        .selectAll()
        .where('id', '=', callId)
        .executeTakeFirstOrThrow();
      assert.equal(call.status, 'busy');
      assert.equal(typeof call.created_at, 'number', 'BIGINT timestamps come back as numbers');

      // Five concurrent deliveries of the same booking: one processed, four duplicates.
      const uid = calcomUid();
      const signed = signedCalcom(
        calcomEvent('BOOKING_CREATED', { uid, source: 'phone' }),
        DEMO_SECRETS.calcomWebhookSecret,
      );
      const answers = await Promise.all(
        Array.from({ length: 5 }, () =>
          s.app.inject({
            method: 'POST',
            url: '/api/webhooks/calcom',
            headers: signed.headers,
            payload: signed.body,
          }),
        ),
      );
      assert.deepEqual(
        answers.map((a) => a.statusCode),
        [200, 200, 200, 200, 200],
        answers.map((a) => a.body).join('\n'),
      );
      const statuses = answers.map((a) => a.json().status).sort();
      assert.deepEqual(statuses, ['duplicate', 'duplicate', 'duplicate', 'duplicate', 'processed']);
      const stored = await database.db
        .selectFrom('bookings')
        .select(['id', 'status', 'created_at'])
        .where('calcom_uid', '=', uid)
        .execute();
      assert.equal(stored.length, 1);
      assert.equal(typeof stored[0]!.created_at, 'number');

      // The booking API.
      const created = await s.app.inject({
        method: 'POST',
        url: '/api/bookings',
        headers: API_HEADERS,
        payload: {
          companyId: DEMO_COMPANY.id,
          source: 'api',
          startTime: '2030-01-02T10:00:00+01:00',
          customer: { name: 'Max Muster' },
        },
      });
      assert.equal(created.statusCode, 201, created.body);
      const read = await s.app.inject({
        method: 'GET',
        url: `/api/bookings/${created.json().id}`,
        headers: API_HEADERS,
      });
      assert.equal(read.statusCode, 200);
      assert.equal(read.json().start_at, Date.parse('2030-01-02T09:00:00Z'));
      assert.equal(read.json().customer_name, undefined, 'no contact data in API reads');

      const text = await scrape(s.app);
      assert.equal(metric(text, 'askproai_calls_total', { status: 'busy', company: DEMO_COMPANY.id }), 1);
      assert.equal(metric(text, 'askproai_bookings_total', { status: 'confirmed', source: 'phone' }), 1);
      assert.equal(metric(text, 'askproai_bookings_total', { status: 'confirmed', source: 'api' }), 1);
      assert.equal(
        metric(text, 'askproai_webhooks_total', {
          provider: 'calcom',
          event: 'booking_created',
          status: 'duplicate',
        }),
        4,
      );

      // A second start over the same database: migrations are a no-op and the demo tenant is not seeded twice.
      const again = await openDatabase(target.url);
      try {
        const companies = await again.db.selectFrom('companies').select('id').execute();
        assert.equal(companies.length, 1);
        const bookingRows = await again.db.selectFrom('bookings').select('id').execute();
        assert.equal(bookingRows.length, 2);
      } finally {
        await again.close();
      }
    });
  });
}
