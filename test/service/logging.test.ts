// Logs: the scrubber removes phone numbers, e-mails and secrets from keys and free text; request logs
// carry request, trace and tenant ids; the Loki destination pushes batches the Loki push API accepts;
// LOG_FILE gets the same lines, and the shipped Promtail config labels them as the push does.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
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
import { waitFor } from '../support/wait.ts';
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

const ROOT = resolve(import.meta.dirname, '../..');

interface PromtailConfig {
  scrape_configs: {
    static_configs: { labels: Record<string, string> }[];
    pipeline_stages: Record<string, unknown>[];
  }[];
}

/**
 * The stream labels Promtail attaches to one line of a tailed file, by the stages of the shipped config
 * (json, template, labels, labeldrop; timestamp sets no label). Promtail adds `filename` to every line of
 * a file target; labels starting with `__` are internal and never sent.
 */
function promtailLabels(config: PromtailConfig, file: string, line: string): Record<string, string> {
  const [scrape] = config.scrape_configs;
  const labels: Record<string, string> = { filename: file };
  for (const [k, v] of Object.entries(scrape!.static_configs[0]!.labels))
    if (!k.startsWith('__')) labels[k] = v;
  const extracted: Record<string, string> = {};
  const record = JSON.parse(line) as Record<string, unknown>;
  for (const stage of scrape!.pipeline_stages) {
    const [kind, spec] = Object.entries(stage)[0]!;
    if (kind === 'json') {
      for (const [name, path] of Object.entries(
        (spec as { expressions: Record<string, string> }).expressions,
      ))
        if (record[path] !== undefined) extracted[name] = String(record[path]);
    } else if (kind === 'template') {
      const { source, template } = spec as { source: string; template: string };
      const mapped = new Map(
        [...template.matchAll(/eq \.Value "([^"]*)" \}\}([^{]*)/g)].map((m) => [m[1]!, m[2]!]),
      );
      assert.match(template, /\{\{ else \}\}\{\{ \.Value \}\}\{\{ end \}\}$/, 'unknown values pass through');
      if (extracted[source] !== undefined)
        extracted[source] = mapped.get(extracted[source]) ?? extracted[source];
    } else if (kind === 'labels') {
      for (const [name, from] of Object.entries(spec as Record<string, string>)) {
        const value = extracted[from || name];
        if (value !== undefined) labels[name] = value;
      }
    } else if (kind === 'labeldrop') {
      for (const name of spec as string[]) delete labels[name];
    } else {
      assert.equal(kind, 'timestamp', `stage ${kind} is not understood by this test`);
    }
  }
  return labels;
}

describe('LOG_FILE and Promtail', () => {
  test('the service appends its scrubbed lines to LOG_FILE; Promtail labels them as the push does', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'askproai-logfile-'));
    const loki = await startLokiSink();
    try {
      // The folder is created when missing.
      const file = join(dir, 'storage', 'logs', 'askproai.log');
      const config = testConfig({ LOG_LEVEL: 'info', LOKI_URL: loki.url, LOG_FILE: file });
      const out = capture();
      const log = createServiceLogger(config, { destination: out.stream, lokiIntervalMs: 50 });
      log.logger.info({ tenant: 'cmp_demo', email: 'x@y.de' }, 'booking created for erika@example.com');
      log.logger.error({ errorType: 'webhook_failed' }, 'webhook failed');
      await log.close();
      const lines = await waitFor(
        async () => {
          const text = await readFile(file, 'utf8').catch(() => '');
          const l = text.split('\n').filter(Boolean);
          return l.length === 2 && l;
        },
        { what: 'two lines in LOG_FILE' },
      );
      assert.deepEqual(lines, out.lines, 'the file holds exactly the stdout lines');
      assert.doesNotMatch(lines.join('\n'), /erika@example\.com|x@y\.de/);

      const promtail = parse(
        await readFile(join(ROOT, 'observability/promtail/promtail.yml'), 'utf8'),
      ) as PromtailConfig;
      // The compose file mounts ASKPROAI_LOG_DIR at the folder Promtail reads; the file name matches it.
      const path = promtail.scrape_configs[0]!.static_configs[0]!.labels.__path__!;
      assert.equal(path, '/var/log/askproai/*.log');
      assert.match(basename(file), /^[^/]*\.log$/);
      const pushed = loki.lines();
      assert.equal(pushed.length, 2);
      for (const line of lines) {
        const twin = pushed.find((p) => p.line === line);
        assert.ok(twin, `not pushed: ${line}`);
        assert.deepEqual(promtailLabels(promtail, `/var/log/askproai/${basename(file)}`, line), twin.labels);
      }
    } finally {
      await loki.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('every LogQL stream selector in the docs selects labels the stored streams carry', async () => {
    const known: Record<string, RegExp> = {
      job: /^askproai$/,
      service: /^askproai$/,
      env: /^(production|development|test)$/,
      level: /^(trace|debug|info|warn|error|fatal)$/,
    };
    let seen = 0;
    for (const doc of ['docs/runbooks.md', 'docs/monitoring.md', 'docs/service.md', 'README.md']) {
      const text = await readFile(join(ROOT, doc), 'utf8');
      // Inline (`{job="askproai"} | json`) and on their own line in code blocks.
      for (const m of text.matchAll(/(?:`|^)(\{[a-z_]+=~?"[^`}\n]*\})(?=[ `]|$)/gm)) {
        seen++;
        for (const matcher of m[1]!.slice(1, -1).split(/,\s*/)) {
          const [, name, value] = /^([a-z_]+)=~?"([^"]*)"$/.exec(matcher) ?? [];
          assert.ok(name && name in known, `${doc}: ${m[1]} selects on ${matcher}, which no stream carries`);
          assert.match(value!, known[name]!, `${doc}: ${m[1]}`);
        }
      }
    }
    assert.ok(seen >= 5, `only ${seen} LogQL selectors found`);
  });
});
