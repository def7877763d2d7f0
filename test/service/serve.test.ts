// `askproai serve` as a real process: it starts on the embedded SQLite file, prints where everything is,
// reports errors and failed webhooks to Sentry (the local sink) with the tenant as a tag and no PII,
// pushes its JSON logs to Loki (the local sink), and stops cleanly on SIGTERM. In production it
// refuses to start without the webhook secrets.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { DEMO_COMPANY, DEMO_SECRETS } from '../../src/service/demo.ts';
import { retellEvent, signedRetell } from '../../src/service/webhooks/samples.ts';
import { withFreePort } from '../support/ports.ts';
import { type ManagedProcess, makeTempDir, spawnProcess } from '../support/processes.ts';
import { type LokiSink, type SentrySink, startLokiSink, startSentrySink } from '../support/sinks.ts';
import { waitFor } from '../support/wait.ts';
import { API_HEADERS, metric, scrapeUrl, TOKEN } from './helpers.ts';

const BIN = join(import.meta.dirname, '..', '..', 'scripts', 'askproai-dev.js');
const CALLER = '+4917699887766';

describe('askproai serve', () => {
  let sentry: SentrySink;
  let loki: LokiSink;
  let proc: ManagedProcess | undefined;
  after(async () => {
    await proc?.stop();
    await sentry?.stop();
    await loki?.stop();
  });

  test('serves, reports to Sentry and Loki without PII, and shuts down gracefully', async () => {
    sentry = await startSentrySink();
    loki = await startLokiSink();
    const dir = await makeTempDir('serve');
    const dbFile = join(dir, 'askproai.sqlite');
    let base = '';
    proc = await withFreePort((port) => {
      base = `http://127.0.0.1:${port}`;
      return spawnProcess(process.execPath, [BIN, 'serve'], {
        name: 'askproai serve',
        env: {
          NODE_ENV: 'development',
          PORT: String(port),
          HOST: '127.0.0.1',
          METRICS_AUTH_TOKEN: TOKEN,
          DATABASE_URL: `sqlite:${dbFile}`,
          REDIS_URL: '',
          RETELL_API_KEY: '',
          CALCOM_WEBHOOK_SECRET: '',
          MONITORING_ENABLED: 'false',
          SENTRY_DSN: sentry.dsn,
          SENTRY_ENVIRONMENT: 'ci',
          SENTRY_TRACES_SAMPLE_RATE: '1',
          LOKI_URL: loki.url,
          LOG_LEVEL: 'info',
        },
        readyUrl: `${base}/api/health`,
        timeoutMs: 90_000,
        tempDirs: [dir],
      });
    });
    const banner = proc.output();
    assert.match(banner, new RegExp(`listening on ${base}`));
    assert.match(
      banner,
      new RegExp(
        `company ${DEMO_COMPANY.id}, Retell agent ${DEMO_COMPANY.retellAgentId}, Cal.com event type ${DEMO_COMPANY.calcomEventTypeId}`,
      ),
    );
    assert.match(banner, /demo secrets for RETELL_API_KEY, CALCOM_WEBHOOK_SECRET/);
    assert.match(banner, /SQLite .*askproai\.sqlite/);
    assert.doesNotMatch(banner, new RegExp(TOKEN), 'a configured token is never printed');

    const send = (body: unknown) => {
      const signed = signedRetell(body, DEMO_SECRETS.retellApiKey);
      return fetch(`${base}/api/webhooks/retell`, {
        method: 'POST',
        headers: signed.headers,
        body: signed.body,
      });
    };
    const ok = await send(retellEvent('call_ended', { fromNumber: CALLER }));
    assert.equal(ok.status, 200, await ok.text());

    // An unhandled route error reaches Sentry, tagged with its type.
    assert.equal((await fetch(`${base}/api/fail`)).status, 500);
    const failEvent = await sentry.waitFor((e) => JSON.stringify(e).includes('intentional_failure'), 20_000);
    const event = failEvent.items.find((i) => i.header.type === 'event')!.payload as Record<string, unknown>;
    assert.equal((event.tags as Record<string, string>).error_type, 'intentional_failure');
    assert.equal(event.environment, 'ci');

    // A webhook that fails inside the service: its table is gone.
    const file = new Database(dbFile);
    file.exec('ALTER TABLE calls RENAME TO calls_away');
    file.close();
    const failed = await send(retellEvent('call_ended', { fromNumber: CALLER }));
    assert.equal(failed.status, 500);
    const webhookEnvelope = await sentry.waitFor((e) => JSON.stringify(e).includes('webhook_failed'), 20_000);
    const webhookEvent = webhookEnvelope.items.find((i) => i.header.type === 'event')!.payload as Record<
      string,
      unknown
    >;
    assert.equal((webhookEvent.tags as Record<string, string>).tenant, DEMO_COMPANY.id);
    assert.equal(webhookEvent.user, undefined);
    assert.doesNotMatch(
      JSON.stringify(sentry.received),
      /17699887766|demo-retell-api-key|x-retell-signature/,
    );

    // Traced requests whose URLs carry an e-mail address and a phone number: the transaction and its
    // spans reach Sentry without them (or any query string).
    for (const path of ['/api/companies', '/api/bookings/erika@example.com']) {
      const traced = await fetch(`${base}${path}?mail=erika%40example.com&tel=%2B4917699887766`, {
        headers: API_HEADERS,
      });
      await traced.arrayBuffer();
    }
    await sentry.waitFor(
      (e) => e.items.some((i) => i.header.type === 'transaction' || i.header.type === 'span'),
      20_000,
    );
    assert.doesNotMatch(JSON.stringify(sentry.received), /erika|17699887766|%40|%2B49|mail=|tel=/i);

    const text = await scrapeUrl(base);
    assert.equal(metric(text, 'askproai_errors_total', { type: 'webhook_failed', severity: 'error' }), 1);
    assert.equal(
      metric(text, 'askproai_errors_total', { type: 'intentional_failure', severity: 'error' }),
      1,
    );
    assert.equal(metric(text, 'askproai_calls_total', { status: 'completed', company: DEMO_COMPANY.id }), 1);

    // Logs: JSON on stdout and in Loki, with tenant and request ids, without the caller's number.
    const handled = await waitFor(() => loki.lines().find((l) => l.line.includes('webhook handled')), {
      what: 'the webhook log line in Loki',
      timeoutMs: 15_000,
    });
    assert.equal(handled.labels.service, 'askproai');
    const record = JSON.parse(handled.line) as Record<string, unknown>;
    assert.equal(record.tenant, DEMO_COMPANY.id);
    assert.match(String(record.requestId), /^[0-9a-f-]{36}$/);
    assert.match(String(record.traceId), /^[0-9a-f]{32}$/);
    await waitFor(
      () => loki.lines().some((l) => l.labels.level === 'error' && l.line.includes('webhook_failed')),
      {
        what: 'the error log line in Loki',
        timeoutMs: 15_000,
      },
    );
    const stdoutJson = proc
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    assert.ok(stdoutJson.length >= 3);
    for (const l of stdoutJson) JSON.parse(l);
    assert.doesNotMatch(proc.output(), /17699887766/);
    assert.doesNotMatch(JSON.stringify(loki.received), /17699887766/);

    proc.kill('SIGTERM');
    // The helper unrefs the child: hold the event loop open until it has exited.
    const keepAlive = setInterval(() => {}, 1000);
    const exit = await proc.exited.finally(() => clearInterval(keepAlive));
    assert.deepEqual(exit, { code: 0, signal: null }, proc.tail());
  });
});

function run(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, 'serve'],
      { env: { ...process.env, ...env }, timeout: 90_000 },
      (err, _stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr });
      },
    );
  });
}

test('production refuses to start without the webhook secrets, naming the variable', async () => {
  const token = `p${'0123456789abcdef'.repeat(3)}`;
  const missing = await run({
    NODE_ENV: 'production',
    METRICS_AUTH_TOKEN: token,
    RETELL_API_KEY: '',
    CALCOM_WEBHOOK_SECRET: `x${'0123456789abcdef'.repeat(2)}`,
    PORT: '0',
  });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /RETELL_API_KEY: required in production/);
  const demo = await run({
    NODE_ENV: 'production',
    METRICS_AUTH_TOKEN: token,
    RETELL_API_KEY: `r${'0123456789abcdef'.repeat(2)}`,
    CALCOM_WEBHOOK_SECRET: DEMO_SECRETS.calcomWebhookSecret,
    PORT: '0',
  });
  assert.equal(demo.code, 1);
  assert.match(demo.stderr, /CALCOM_WEBHOOK_SECRET: is the public demo secret/);
  assert.doesNotMatch(demo.stderr, new RegExp(token));
});

test('a generated development token is written to a file only the owner can read, never printed', async () => {
  const dir = await makeTempDir('serve-token');
  let base = '';
  const p = await withFreePort((port) => {
    base = `http://127.0.0.1:${port}`;
    return spawnProcess(process.execPath, [BIN, 'serve'], {
      name: 'askproai serve (generated token)',
      cwd: dir,
      env: {
        NODE_ENV: 'development',
        PORT: String(port),
        HOST: '127.0.0.1',
        METRICS_AUTH_TOKEN: '',
        METRICS_AUTH_TOKEN_FILE: '',
        DATABASE_URL: '',
        REDIS_URL: '',
        MONITORING_ENABLED: 'false',
        SENTRY_DSN: '',
        LOKI_URL: '',
      },
      readyUrl: `${base}/api/health`,
      timeoutMs: 90_000,
      tempDirs: [dir],
    });
  });
  try {
    const file = join(dir, 'data', 'metrics-token');
    assert.match(p.output(), /generated one for this run in data\/metrics-token \(mode 600\)/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const token = readFileSync(file, 'utf8').trim();
    assert.match(token, /^[0-9a-f]{48}$/);
    assert.doesNotMatch(p.output(), new RegExp(token), 'the token is not in the output');
    const res = await fetch(`${base}/api/metrics`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  } finally {
    await p.stop();
  }
});
