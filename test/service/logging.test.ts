// Logs: the scrubber removes phone numbers, e-mails and secrets from keys and free text; request logs
// carry request, trace and tenant ids; the Loki destination pushes batches the Loki push API accepts.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { createMetrics } from '../../src/metrics/setup.ts';
import { buildService } from '../../src/service/app.ts';
import { openDatabase } from '../../src/service/db/connect.ts';
import { DEMO_SECRETS } from '../../src/service/demo.ts';
import { createServiceLogger } from '../../src/service/logger.ts';
import { LokiDestination } from '../../src/service/loki.ts';
import { metricsOptions } from '../../src/service/metrics-options.ts';
import { createScrubber } from '../../src/service/redact.ts';
import { retellEvent, signedRetell } from '../../src/service/webhooks/samples.ts';
import { startLokiSink } from '../support/sinks.ts';
import { testConfig } from './helpers.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(l);
      cb();
    },
  });
  return { lines, stream, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('scrubber', () => {
  const scrub = createScrubber(['sk_live_abcdef123456']);
  test('free text', () => {
    const out = scrub.text(
      'Caller +49 151 2345 6789 (erika.mustermann@example.com) or 030 1234567 used sk_live_abcdef123456 and Bearer abc.def.ghi123 at postgres://app:hunter22@db/app',
    );
    assert.equal(
      out,
      'Caller [phone] ([email]) or [phone] used [redacted] and Bearer [redacted] at postgres://app:[redacted]@db/app',
    );
  });
  test('keeps ids, dates and timestamps', () => {
    const text = 'call_9f2c booking bkg_x1 at 2025-06-28T10:00:00Z ts 1719568800000 company cmp_demo';
    assert.equal(scrub.text(text), text);
  });
  test('known keys, nested values and errors', () => {
    const out = scrub.value({
      from_number: '+4915112345678',
      customer: { email: 'a@b.de', name_hint: 'call me at +4930123456' },
      authorization: 'Bearer x',
      err: new Error('lookup failed for erika@example.com'),
      count: 3,
    }) as Record<string, unknown>;
    assert.equal(out.from_number, '[redacted]');
    assert.deepEqual(out.customer, { email: '[redacted]', name_hint: 'call me at [phone]' });
    assert.equal(out.authorization, '[redacted]');
    assert.equal((out.err as { message: string }).message, 'lookup failed for [email]');
    assert.equal(out.count, 3);
  });
});

describe('request logs', () => {
  test('carry request, trace and tenant ids and no phone number', async () => {
    const config = testConfig({ LOG_LEVEL: 'info' });
    const out = capture();
    const { logger } = createServiceLogger(config, { destination: out.stream });
    const database = await openDatabase('sqlite::memory:');
    const s = await buildService({
      config,
      metrics: createMetrics(metricsOptions(config)),
      database,
      logger,
    });
    try {
      const signed = signedRetell(
        retellEvent('call_ended', { fromNumber: '+4917612345678' }),
        DEMO_SECRETS.retellApiKey,
      );
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const res = await s.app.inject({
        method: 'POST',
        url: '/api/webhooks/retell?caller=%2B4917612345678',
        headers: {
          ...signed.headers,
          'x-request-id': 'req-123',
          traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
        },
        payload: signed.body,
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.headers['x-request-id'], 'req-123');
      const records = out.records();
      const handled = records.find((r) => r.msg === 'webhook handled');
      assert.ok(handled, JSON.stringify(records));
      assert.equal(handled.requestId, 'req-123');
      assert.equal(handled.traceId, traceId);
      assert.equal(handled.tenant, 'cmp_demo');
      assert.equal(handled.level, 'info');
      assert.ok(records.every((r) => r.requestId === 'req-123'));
      const all = out.lines.join('\n');
      assert.doesNotMatch(all, /17612345678|x-retell-signature|demo-retell-api-key/);
    } finally {
      await s.app.close();
      await database.close();
    }
  });
});

describe('Loki push', () => {
  const sinks: { stop(): Promise<void> }[] = [];
  after(async () => {
    for (const s of sinks) await s.stop();
  });

  test('log lines arrive in the Loki push format with fixed labels', async () => {
    const loki = await startLokiSink();
    sinks.push(loki);
    const config = testConfig({ LOG_LEVEL: 'info', LOKI_URL: loki.url });
    const out = capture();
    const log = createServiceLogger(config, { destination: out.stream, lokiIntervalMs: 50 });
    log.logger.info({ tenant: 'cmp_demo', email: 'x@y.de' }, 'booking created for erika@example.com');
    log.logger.error({ errorType: 'webhook_failed' }, 'webhook failed');
    await log.close();
    const lines = loki.lines();
    assert.equal(lines.length, 2, JSON.stringify(loki.received));
    const info = lines.find((l) => l.labels.level === 'info')!;
    // `job` is the label promtail gives the same lines, and the one the runbooks' LogQL selects on.
    assert.deepEqual(info.labels, { job: 'askproai', service: 'askproai', env: 'test', level: 'info' });
    assert.match(info.timestampNs, /^\d{19}$/);
    const record = JSON.parse(info.line) as Record<string, unknown>;
    assert.equal(record.msg, 'booking created for [email]');
    assert.equal(record.email, '[redacted]');
    assert.equal(lines.find((l) => l.labels.level === 'error')?.labels.service, 'askproai');
    assert.equal(out.lines.length, 2, 'stdout gets the same lines');
  });

  test('Loki being down never blocks logging; lines are dropped and counted', async () => {
    const loki = await startLokiSink();
    const url = loki.url;
    await loki.stop();
    const dest = new LokiDestination({
      url,
      labels: { service: 'askproai' },
      intervalMs: 10,
      maxBuffered: 5,
      timeoutMs: 500,
    });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      for (let i = 0; i < 8; i++)
        assert.equal(dest.write(`{"level":30,"time":${Date.now()},"msg":"line ${i}"}\n`), true);
      await dest.close();
      assert.equal(dest.sent, 0);
      assert.equal(dest.dropped, 8);
      await new Promise((r) => setImmediate(r));
      assert.ok(
        warnings.some((w) => w.includes('Loki')),
        warnings.join(),
      );
    } finally {
      process.off('warning', onWarning);
    }
  });
});
