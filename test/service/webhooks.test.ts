// The webhook flows in-process (app.inject) on the embedded SQLite database: every Retell and Cal.com
// event type, signatures and replays, idempotency, malformed bodies, unknown tenants, a failing
// transaction, and the metrics each flow moves, read from the scraped exposition.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { SEVERITIES } from '../../src/metrics/catalog.ts';
import { createMetrics } from '../../src/metrics/setup.ts';
import { buildService, type Service } from '../../src/service/app.ts';
import { openDatabase } from '../../src/service/db/connect.ts';
import { DEMO_COMPANY, DEMO_SECRETS } from '../../src/service/demo.ts';
import { ERROR_TYPES } from '../../src/service/errors.ts';
import { metricsOptions } from '../../src/service/metrics-options.ts';
import { WEBHOOK_BODY_LIMIT } from '../../src/service/routes/webhooks.ts';
import { deriveCallStatus } from '../../src/service/webhooks/retell.ts';
import {
  calcomEvent,
  calcomUid,
  retellCallId,
  retellEvent,
  signedCalcom,
  signedRetell,
} from '../../src/service/webhooks/samples.ts';
import { signRetell } from '../../src/service/webhooks/signature.ts';
import { metric, scrape, series, testConfig } from './helpers.ts';

const KEY = DEMO_SECRETS.retellApiKey;
const SECRET = DEMO_SECRETS.calcomWebhookSecret;
const COMPANY = DEMO_COMPANY.id;

async function newService(): Promise<Service> {
  const config = testConfig();
  return buildService({
    config,
    metrics: createMetrics(metricsOptions(config)),
    database: await openDatabase('sqlite::memory:'),
  });
}

function postRetell(s: Service, body: unknown, timestampMs?: number) {
  const signed = signedRetell(body, KEY, timestampMs);
  return s.app.inject({
    method: 'POST',
    url: '/api/webhooks/retell',
    headers: signed.headers,
    payload: signed.body,
  });
}

function postCalcom(s: Service, body: unknown) {
  const signed = signedCalcom(body, SECRET);
  return s.app.inject({
    method: 'POST',
    url: '/api/webhooks/calcom',
    headers: signed.headers,
    payload: signed.body,
  });
}

const webhooks = (text: string, provider: string, event: string, status: string) =>
  metric(text, 'askproai_webhooks_total', { provider, event, status });

describe('Retell webhooks', () => {
  let s: Service;
  before(async () => {
    s = await newService();
  });
  after(async () => {
    await s.app.close();
    await s.database.close();
  });

  test('a new service exposes every error type x severity at 0, so the first error is an increase', async () => {
    const fresh = await newService();
    try {
      const errors = series(await scrape(fresh.app), 'askproai_errors_total');
      const sets = errors.map((e) => `${e.labels.type}/${e.labels.severity}`).sort();
      assert.deepEqual(sets, ERROR_TYPES.flatMap((t) => SEVERITIES.map((v) => `${t}/${v}`)).sort());
      assert.ok(errors.every((e) => e.value === 0));
    } finally {
      await fresh.app.close();
      await fresh.database.close();
    }
  });

  test('a call is stored when it starts and counted once, when it ends', async () => {
    const callId = retellCallId();
    const started = await postRetell(s, retellEvent('call_started', { callId }));
    assert.equal(started.statusCode, 200, started.body);
    assert.deepEqual(started.json(), { status: 'processed' });
    let text = await scrape(s.app);
    assert.equal(webhooks(text, 'retell', 'call_started', 'processed'), 1);
    assert.equal(metric(text, 'askproai_calls_total', { company: COMPANY }), 0);
    const row = await s.database.db
      .selectFrom('calls')
      .selectAll()
      .where('id', '=', callId)
      .executeTakeFirstOrThrow();
    assert.equal(row.status, 'in_progress');
    assert.equal(row.company_id, COMPANY);

    const ended = await postRetell(
      s,
      retellEvent('call_ended', { callId, disconnectionReason: 'user_hangup', durationMs: 42_000 }),
    );
    assert.equal(ended.statusCode, 200, ended.body);
    text = await scrape(s.app);
    assert.equal(metric(text, 'askproai_calls_total', { status: 'completed', company: COMPANY }), 1);
    assert.equal(webhooks(text, 'retell', 'call_ended', 'processed'), 1);
    assert.ok(
      metric(text, 'askproai_webhook_processing_duration_seconds_count', {
        provider: 'retell',
        event: 'call_ended',
      }) >= 1,
    );
    const endedRow = await s.database.db
      .selectFrom('calls')
      .selectAll()
      .where('id', '=', callId)
      .executeTakeFirstOrThrow();
    assert.equal(endedRow.status, 'completed');
    assert.equal(Number(endedRow.duration_ms), 42_000);

    const analyzed = await postRetell(s, retellEvent('call_analyzed', { callId }));
    assert.equal(analyzed.statusCode, 200, analyzed.body);
    text = await scrape(s.app);
    assert.equal(webhooks(text, 'retell', 'call_analyzed', 'processed'), 1);
    assert.equal(
      metric(text, 'askproai_calls_total', { status: 'completed', company: COMPANY }),
      1,
      'analysis does not count a call',
    );
    const analyzedRow = await s.database.db
      .selectFrom('calls')
      .select('analysis')
      .where('id', '=', callId)
      .executeTakeFirstOrThrow();
    assert.match(analyzedRow.analysis ?? '', /call_successful/);
  });

  test('a retried delivery answers 2xx again and is stored and counted once', async () => {
    const body = retellEvent('call_ended', { disconnectionReason: 'voicemail_reached' });
    const before = await scrape(s.app);
    const first = await postRetell(s, body);
    // Retell signs every attempt afresh; the body is the same.
    const retry = await postRetell(s, body, Date.now() + 1000);
    assert.equal(first.statusCode, 200);
    assert.equal(retry.statusCode, 200);
    assert.deepEqual(retry.json(), { status: 'duplicate' });
    const text = await scrape(s.app);
    assert.equal(
      metric(text, 'askproai_calls_total', { status: 'voicemail', company: COMPANY }) -
        metric(before, 'askproai_calls_total', { status: 'voicemail', company: COMPANY }),
      1,
    );
    assert.equal(webhooks(text, 'retell', 'call_ended', 'duplicate'), 1);
    const rows = await s.database.db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('event', '=', 'call_ended')
      .executeTakeFirstOrThrow();
    assert.equal(Number(rows.n), 2, 'one delivery row per distinct call_ended');
  });

  test('each disconnection maps to its call status', async () => {
    const cases: [string, string, string][] = [
      ['ended', 'dial_busy', 'busy'],
      ['ended', 'dial_no_answer', 'no_answer'],
      ['ended', 'call_transfer', 'transferred'],
      ['error', 'error_llm_websocket_lost_connection', 'failed'],
      ['ended', 'agent_hangup', 'completed'],
    ];
    for (const [callStatus, reason, expected] of cases) {
      assert.equal(
        deriveCallStatus({ call_status: callStatus, disconnection_reason: reason }),
        expected,
        reason,
      );
      const res = await postRetell(s, retellEvent('call_ended', { callStatus, disconnectionReason: reason }));
      assert.equal(res.statusCode, 200, res.body);
    }
    const text = await scrape(s.app);
    for (const status of ['busy', 'no_answer', 'transferred', 'failed']) {
      assert.equal(metric(text, 'askproai_calls_total', { status, company: COMPANY }), 1, status);
    }
  });

  test('bad, missing, malformed and replayed signatures get 401, are counted as rejected and store nothing', async () => {
    const callsBefore = await s.database.db.selectFrom('calls').select('id').execute();
    const body = JSON.stringify(retellEvent('call_ended'));
    const attempts = [
      { 'x-retell-signature': signRetell(body, 'not-the-key') },
      {},
      { 'x-retell-signature': 'sha256=abc' },
      // A correctly signed delivery captured six minutes ago.
      { 'x-retell-signature': signRetell(body, KEY, Date.now() - 6 * 60_000) },
      { 'x-retell-signature': signRetell(body, KEY, Date.now() + 6 * 60_000) },
    ];
    const answers: string[] = [];
    for (const h of attempts) {
      const res = await s.app.inject({
        method: 'POST',
        url: '/api/webhooks/retell',
        headers: { 'content-type': 'application/json', ...h },
        payload: body,
      });
      assert.equal(res.statusCode, 401, res.body);
      answers.push(res.body);
    }
    // The answer says no more than that: a prober learns nothing about why.
    assert.deepEqual(new Set(answers), new Set(['{"error":"invalid signature"}']));
    // A body changed after signing fails too.
    const signed = signedRetell(retellEvent('call_ended'), KEY);
    const tampered = await s.app.inject({
      method: 'POST',
      url: '/api/webhooks/retell',
      headers: signed.headers,
      payload: signed.body.replace('user_hangup', 'dial_busy'),
    });
    assert.equal(tampered.statusCode, 401);
    // Unsigned bodies are never parsed, so their event is not known.
    const text = await scrape(s.app);
    assert.equal(webhooks(text, 'retell', 'unknown', 'rejected'), 6);
    assert.deepEqual(await s.database.db.selectFrom('calls').select('id').execute(), callsBefore);
  });

  test('malformed bodies get 400 with a clear message and store nothing', async () => {
    const deliveriesBefore = (await s.database.db.selectFrom('webhook_deliveries').select('id').execute())
      .length;
    const notJson = signedRetell('{"event": "call_ended", "call": {', KEY);
    const r1 = await s.app.inject({
      method: 'POST',
      url: '/api/webhooks/retell',
      headers: notJson.headers,
      payload: notJson.body,
    });
    assert.equal(r1.statusCode, 400);
    assert.match(r1.json().error, /JSON/);

    const noCallId = retellEvent('call_ended') as { call: Record<string, unknown> };
    delete noCallId.call.call_id;
    const r2 = await postRetell(s, noCallId);
    assert.equal(r2.statusCode, 400);
    assert.ok(
      r2.json().issues.some((i: string) => i.startsWith('call.call_id')),
      r2.body,
    );

    const text = await scrape(s.app);
    assert.equal(
      webhooks(text, 'retell', 'unknown', 'invalid') + webhooks(text, 'retell', 'call_ended', 'invalid'),
      2,
    );
    assert.equal(
      (await s.database.db.selectFrom('webhook_deliveries').select('id').execute()).length,
      deliveriesBefore,
    );
  });

  test('a body too large to check is a 413 counted as rejected, never as an invalid signed delivery', async () => {
    const before = await scrape(s.app);
    const big = signedRetell(`{"x":"${'a'.repeat(WEBHOOK_BODY_LIMIT)}"}`, KEY);
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/webhooks/retell',
      headers: big.headers,
      payload: big.body,
    });
    assert.equal(res.statusCode, 413);
    const text = await scrape(s.app);
    const delta = (status: string) =>
      webhooks(text, 'retell', 'unknown', status) - webhooks(before, 'retell', 'unknown', status);
    assert.equal(delta('rejected'), 1);
    assert.equal(delta('invalid'), 0);
  });

  test('an unknown agent is a 404 counted as unknown_tenant', async () => {
    const res = await postRetell(s, retellEvent('call_ended', { agentId: 'agent_nobody' }));
    assert.equal(res.statusCode, 404);
    assert.equal(webhooks(await scrape(s.app), 'retell', 'call_ended', 'unknown_tenant'), 1);
  });

  test('no phone number or customer data reaches a label', async () => {
    const text = await scrape(s.app);
    assert.doesNotMatch(text, /\+49|4915100000000|erika|example\.com/i);
    for (const s2 of series(text, 'askproai_calls_total'))
      assert.match(s2.labels.company ?? '', /^cmp_[a-z0-9_]+$/);
  });
});

describe('Cal.com webhooks', () => {
  let s: Service;
  before(async () => {
    s = await newService();
  });
  after(async () => {
    await s.app.close();
    await s.database.close();
  });

  const bookings = (text: string, status: string, source: string) =>
    metric(text, 'askproai_bookings_total', { status, source });

  test('created, rescheduled and cancelled bookings are stored and counted', async () => {
    const uid = calcomUid();
    const created = await postCalcom(s, calcomEvent('BOOKING_CREATED', { uid, source: 'phone' }));
    assert.equal(created.statusCode, 200, created.body);
    let text = await scrape(s.app);
    assert.equal(bookings(text, 'confirmed', 'phone'), 1);
    assert.equal(webhooks(text, 'calcom', 'booking_created', 'processed'), 1);
    const row = await s.database.db
      .selectFrom('bookings')
      .selectAll()
      .where('calcom_uid', '=', uid)
      .executeTakeFirstOrThrow();
    assert.equal(row.company_id, COMPANY);
    assert.equal(row.status, 'confirmed');
    assert.equal(typeof row.created_at, 'number');

    const newUid = calcomUid();
    const moved = await postCalcom(
      s,
      calcomEvent('BOOKING_RESCHEDULED', { uid: newUid, rescheduleUid: uid }),
    );
    assert.equal(moved.statusCode, 200, moved.body);
    const movedRow = await s.database.db
      .selectFrom('bookings')
      .selectAll()
      .where('id', '=', row.id)
      .executeTakeFirstOrThrow();
    assert.equal(movedRow.status, 'rescheduled');
    assert.equal(movedRow.calcom_uid, newUid);

    const cancelled = await postCalcom(s, calcomEvent('BOOKING_CANCELLED', { uid: newUid }));
    assert.equal(cancelled.statusCode, 200, cancelled.body);
    text = await scrape(s.app);
    assert.equal(bookings(text, 'rescheduled', 'phone'), 1);
    assert.equal(bookings(text, 'cancelled', 'phone'), 1);
    const final = await s.database.db
      .selectFrom('bookings')
      .selectAll()
      .where('id', '=', row.id)
      .executeTakeFirstOrThrow();
    assert.equal(final.status, 'cancelled');
    const count = await s.database.db.selectFrom('bookings').select('id').execute();
    assert.equal(count.length, 1, 'one booking throughout');
  });

  test('a booking that needs confirmation is pending, then confirmed once', async () => {
    const uid = calcomUid();
    const requested = await postCalcom(
      s,
      calcomEvent('BOOKING_REQUESTED', { uid, requiresConfirmation: true }),
    );
    assert.equal(requested.statusCode, 200, requested.body);
    const confirmed = await postCalcom(s, calcomEvent('BOOKING_CREATED', { uid }));
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    const text = await scrape(s.app);
    assert.equal(bookings(text, 'pending', 'calcom'), 1);
    assert.equal(bookings(text, 'confirmed', 'calcom'), 1);
  });

  test('a retried delivery is counted once', async () => {
    const body = calcomEvent('BOOKING_CREATED', { source: 'web' });
    const first = await postCalcom(s, body);
    const second = await postCalcom(s, body);
    assert.equal(first.statusCode, 200);
    assert.equal(second.statusCode, 200);
    assert.deepEqual(second.json(), { status: 'duplicate' });
    const text = await scrape(s.app);
    assert.equal(bookings(text, 'confirmed', 'web'), 1);
    assert.equal(webhooks(text, 'calcom', 'booking_created', 'duplicate'), 1);
  });

  test('signature, body and tenant failures', async () => {
    const body = JSON.stringify(calcomEvent('BOOKING_CREATED'));
    const bad = await s.app.inject({
      method: 'POST',
      url: '/api/webhooks/calcom',
      headers: { 'content-type': 'application/json', 'x-cal-signature-256': 'f'.repeat(64) },
      payload: body,
    });
    assert.equal(bad.statusCode, 401);
    const unsigned = await s.app.inject({
      method: 'POST',
      url: '/api/webhooks/calcom',
      headers: { 'content-type': 'application/json' },
      payload: body,
    });
    assert.equal(unsigned.statusCode, 401);

    const noEventType = calcomEvent('BOOKING_CREATED') as { payload: Record<string, unknown> };
    delete noEventType.payload.eventTypeId;
    const invalid = await postCalcom(s, noEventType);
    assert.equal(invalid.statusCode, 400);
    assert.match(invalid.body, /payload\.eventTypeId/);

    const unknown = await postCalcom(s, calcomEvent('BOOKING_CREATED', { eventTypeId: 999_999 }));
    assert.equal(unknown.statusCode, 404);

    const ping = await postCalcom(s, {
      triggerEvent: 'PING',
      createdAt: new Date().toISOString(),
      payload: {},
    });
    assert.equal(ping.statusCode, 200, ping.body);

    const text = await scrape(s.app);
    assert.equal(webhooks(text, 'calcom', 'unknown', 'rejected'), 2);
    assert.equal(webhooks(text, 'calcom', 'booking_created', 'invalid'), 1);
    assert.equal(webhooks(text, 'calcom', 'booking_created', 'unknown_tenant'), 1);
    assert.equal(webhooks(text, 'calcom', 'ping', 'processed'), 1);
  });

  test('an unexpected event name is acknowledged under the bounded label "other"', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await postCalcom(s, { ...calcomEvent('BOOKING_CREATED'), triggerEvent: `MADE_UP_${i}` });
      assert.equal(res.statusCode, 200, res.body);
    }
    const text = await scrape(s.app);
    assert.equal(webhooks(text, 'calcom', 'other', 'processed'), 5);
    assert.ok(!text.includes('made_up'));
  });
});

describe('a failing delivery', () => {
  test('rolls back, answers 500, counts failed and the error, and a retry after the fix is processed', async () => {
    const s = await newService();
    try {
      await sql`ALTER TABLE calls RENAME TO calls_away`.execute(s.database.db);
      const body = retellEvent('call_ended');
      const res = await postRetell(s, body);
      assert.equal(res.statusCode, 500, res.body);
      let text = await scrape(s.app);
      assert.equal(webhooks(text, 'retell', 'call_ended', 'failed'), 1);
      assert.equal(metric(text, 'askproai_errors_total', { type: 'webhook_failed', severity: 'error' }), 1);
      assert.equal(metric(text, 'askproai_calls_total', { company: COMPANY, status: 'completed' }), 0);
      assert.equal(
        (await s.database.db.selectFrom('webhook_deliveries').select('id').execute()).length,
        0,
        'claim rolled back',
      );

      await sql`ALTER TABLE calls_away RENAME TO calls`.execute(s.database.db);
      const retry = await postRetell(s, body);
      assert.equal(retry.statusCode, 200, retry.body);
      assert.deepEqual(retry.json(), { status: 'processed' });
      text = await scrape(s.app);
      assert.equal(metric(text, 'askproai_calls_total', { company: COMPANY, status: 'completed' }), 1);
    } finally {
      await s.app.close();
      await s.database.close();
    }
  });
});
