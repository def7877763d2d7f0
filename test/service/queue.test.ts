// Webhook work through BullMQ on the test Redis (a private key prefix per test): deliveries are queued
// (202), applied by the worker, counted once; a job that keeps failing is retried, then counted failed
// and its claim released; with Redis gone the service processes inline instead of losing the delivery.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { sql } from 'kysely';
import { DEMO_COMPANY, DEMO_SECRETS } from '../../src/service/demo.ts';
import { type RunningService, startService } from '../../src/service/start.ts';
import { calcomEvent, retellEvent, signedCalcom, signedRetell } from '../../src/service/webhooks/samples.ts';
import { redisKeyPrefix, startRedis } from '../support/databases.ts';
import { redisUrl } from '../support/env.ts';
import { waitFor } from '../support/wait.ts';
import { metric, scrape, testConfig } from './helpers.ts';

async function start(redis: string, logLines?: string[]): Promise<RunningService> {
  const config = testConfig({
    REDIS_URL: redis,
    DATABASE_URL: 'sqlite::memory:',
    ...(logLines ? { LOG_LEVEL: 'info' } : {}),
  });
  return startService(config, {
    listen: false,
    logDestination: logLines ? { write: (line: string) => void logLines.push(line) } : undefined,
    queue: { prefix: redisKeyPrefix('svc').slice(0, -1), backoffMs: 20 },
  });
}

function postCalcom(s: RunningService, body: unknown) {
  const signed = signedCalcom(body, DEMO_SECRETS.calcomWebhookSecret);
  return s.app.inject({
    method: 'POST',
    url: '/api/webhooks/calcom',
    headers: signed.headers,
    payload: signed.body,
  });
}

/** Delivers a signed `call_ended` whose processing fails, and waits until the job has failed for good. */
async function deliverUntilFailed(s: RunningService): Promise<string> {
  const signed = signedRetell(retellEvent('call_ended'), DEMO_SECRETS.retellApiKey);
  const res = await s.app.inject({
    method: 'POST',
    url: '/api/webhooks/retell',
    headers: signed.headers,
    payload: signed.body,
  });
  assert.equal(res.statusCode, 202, res.body);
  return waitFor(
    async () => {
      const t = await scrape(s.app);
      return (
        metric(t, 'askproai_webhooks_total', {
          provider: 'retell',
          event: 'call_ended',
          status: 'failed',
        }) === 1 && t
      );
    },
    { what: 'the job to fail for good', timeoutMs: 15_000 },
  );
}

describe('BullMQ webhook queue', () => {
  const services: RunningService[] = [];
  after(async () => {
    for (const s of services) await s.close();
  });

  test('deliveries are queued, processed by the worker and counted once', async () => {
    const s = await start(redisUrl());
    services.push(s);
    assert.equal(s.pipeline.mode, 'queue');
    const body = calcomEvent('BOOKING_CREATED', { source: 'web' });
    const first = await postCalcom(s, body);
    assert.equal(first.statusCode, 202, first.body);
    assert.deepEqual(first.json(), { status: 'queued' });
    const text = await waitFor(
      async () => {
        const t = await scrape(s.app);
        return (
          metric(t, 'askproai_webhooks_total', {
            provider: 'calcom',
            event: 'booking_created',
            status: 'processed',
          }) === 1 &&
          // BullMQ reports the job completed after the processor returned: wait for that too.
          metric(t, 'askproai_queue_jobs_processed_total', { queue: 'webhooks', status: 'completed' }) ===
            1 &&
          t
        );
      },
      { what: 'the worker to process the booking', timeoutMs: 15_000 },
    );
    assert.equal(metric(text, 'askproai_bookings_total', { status: 'confirmed', source: 'web' }), 1);
    assert.equal(
      metric(text, 'askproai_queue_jobs_processed_total', { queue: 'webhooks', status: 'completed' }),
      1,
    );
    assert.ok(metric(text, 'askproai_queue_job_wait_seconds_count', { queue: 'webhooks' }) >= 1);
    // A finished job leaves Redis with its body (attendee names, e-mails, numbers).
    await waitFor(async () => (await s.queue!.queue.getJobCounts('completed')).completed === 0 || undefined, {
      what: 'the completed job to be removed',
      timeoutMs: 5000,
    });
    assert.deepEqual(await s.queue!.queue.getJobs(['completed', 'waiting', 'active', 'delayed']), []);

    const retry = await postCalcom(s, body);
    assert.equal(retry.statusCode, 200);
    assert.deepEqual(retry.json(), { status: 'duplicate' });
    const delivery = await s.database.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .executeTakeFirstOrThrow();
    assert.equal(delivery.status, 'processed');
    assert.equal(
      metric(await scrape(s.app), 'askproai_bookings_total', { status: 'confirmed', source: 'web' }),
      1,
    );
  });

  test('a job that keeps failing is retried, then counted failed and its claim released', async () => {
    const s = await start(redisUrl());
    services.push(s);
    await sql`ALTER TABLE calls RENAME TO calls_away`.execute(s.database.db);
    const text = await deliverUntilFailed(s);
    assert.equal(
      metric(text, 'askproai_queue_jobs_processed_total', { queue: 'webhooks', status: 'failed' }),
      3,
      'three attempts',
    );
    assert.equal(metric(text, 'askproai_errors_total', { type: 'webhook_failed', severity: 'error' }), 1);
    assert.equal(metric(text, 'askproai_calls_total', { status: 'completed', company: DEMO_COMPANY.id }), 0);
    await waitFor(
      async () => (await s.database.db.selectFrom('webhook_deliveries').select('id').execute()).length === 0,
      {
        what: 'the claim to be released',
      },
    );
  });

  test('a claim that cannot be released is reported critical, not swallowed', async () => {
    const s = await start(redisUrl());
    services.push(s);
    await sql`ALTER TABLE calls RENAME TO calls_away`.execute(s.database.db);
    // A real database failure on the release: the DELETE of the claim is refused.
    await sql`CREATE TRIGGER keep_claims BEFORE DELETE ON webhook_deliveries BEGIN SELECT RAISE(ABORT, 'release refused'); END`.execute(
      s.database.db,
    );
    const text = await deliverUntilFailed(s);
    assert.equal(
      metric(text, 'askproai_errors_total', { type: 'webhook_claim_release_failed', severity: 'critical' }),
      1,
    );
    assert.equal(metric(text, 'askproai_errors_total', { type: 'webhook_failed', severity: 'error' }), 1);
    const claims = await s.database.db.selectFrom('webhook_deliveries').select('id').execute();
    assert.equal(claims.length, 1, 'the claim is still there, which is what the report warns about');
  });

  test('with Redis gone, a delivery is processed inline and the outage is reported', async () => {
    const redis = await startRedis();
    const lines: string[] = [];
    const s = await start(redis.url, lines);
    services.push(s);
    try {
      await redis.crash();
      // The queue's connections report through the monitored handler the collectors use: once per outage.
      const outage = (role: string) =>
        lines
          .map((l) => JSON.parse(l) as { msg?: string; role?: string })
          .filter((l) => l.msg === 'Redis is unreachable; retrying with backoff' && l.role === role);
      await waitFor(() => outage('queues').length > 0 && outage('queue-worker').length > 0, {
        what: 'the queue connections to report the outage',
      });
      const res = await postCalcom(s, calcomEvent('BOOKING_CREATED', { source: 'api' }));
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { status: 'processed' });
      const text = await scrape(s.app);
      assert.equal(metric(text, 'askproai_bookings_total', { status: 'confirmed', source: 'api' }), 1);
      assert.equal(
        metric(text, 'askproai_errors_total', { type: 'queue_unavailable', severity: 'warning' }),
        1,
      );
      assert.equal(outage('queues').length, 1, 'one line per outage, not one per error');
      assert.equal(outage('queue-worker').length, 1, 'one line per outage, not one per error');
    } finally {
      await s.close();
      await redis.stop();
    }
  });
});
