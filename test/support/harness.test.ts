// Exercises every test helper once, for real: if this file fails, the machine (or scripts/test.sh) is not
// fit to run the rest of the suite, and the failure says which piece is missing.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { startAlertmanager } from './alertmanager.ts';
import { launchChromium } from './chromium.ts';
import { freshMysqlDb, freshPostgresDb, redisKeyPrefix, startRedis } from './databases.ts';
import { redisUrl, requireEnv } from './env.ts';
import { startNodeExporter, startRedisExporter } from './exporters.ts';
import { freePort } from './ports.ts';
import { spawnProcess } from './processes.ts';
import { startPrometheus } from './prometheus.ts';
import { startLokiSink, startSentrySink, startSlackSink, startSmtpSink } from './sinks.ts';
import { startVictoriaMetrics } from './victoria.ts';
import { waitFor } from './wait.ts';

const TIMEOUT = { timeout: 60_000 };

/** A minimal SMTP client: one message, no TLS, no AUTH. Resolves with the server's final reply. */
function sendRawSmtp(port: number, from: string, to: string, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const steps = [
      { expect: '220', send: 'EHLO harness.test' },
      { expect: '250', send: `MAIL FROM:<${from}>` },
      { expect: '250', send: `RCPT TO:<${to}>` },
      { expect: '250', send: 'DATA' },
      { expect: '354', send: `${message.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..')}\r\n.` },
      { expect: '250', send: 'QUIT' },
    ];
    let buffer = '';
    let lastReply = '';
    socket.setEncoding('utf8');
    socket.setTimeout(10_000, () => socket.destroy(new Error(`SMTP timeout; buffer: ${buffer}`)));
    socket.on('error', reject);
    socket.on('close', () => resolve(lastReply));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      // A reply is complete at a line "NNN text" (continuation lines are "NNN-text").
      for (let match = /^(\d{3}) .*\r\n/m.exec(buffer); match; match = /^(\d{3}) .*\r\n/m.exec(buffer)) {
        const reply = buffer.slice(0, match.index + match[0].length);
        buffer = buffer.slice(reply.length);
        lastReply = reply.trim();
        const step = steps.shift();
        if (!step) continue;
        if (match[1] !== step.expect) {
          socket.destroy(new Error(`SMTP: expected ${step.expect}, got: ${lastReply}`));
          return;
        }
        socket.write(`${step.send}\r\n`);
      }
    });
  });
}

describe('test support harness', { concurrency: true }, () => {
  it('requireEnv names the variable and the way to set it', () => {
    assert.throws(
      () => requireEnv('HARNESS_SURELY_UNSET'),
      /HARNESS_SURELY_UNSET is not set: run the tests with 'npm test'/,
    );
  });

  it('waitFor returns the value and names what it waited for on timeout', async () => {
    let calls = 0;
    assert.equal(
      await waitFor(async () => (++calls >= 3 ? 'done' : undefined), { what: 'x', intervalMs: 1 }),
      'done',
    );
    await assert.rejects(
      waitFor(async () => false, { timeoutMs: 50, intervalMs: 10, what: 'the unicorn' }),
      /timed out after \d+ ms .* waiting for the unicorn/,
    );
  });

  it('spawnProcess reports an early exit with the tail of the output', async () => {
    await assert.rejects(
      spawnProcess('sh', ['-c', 'echo first line; echo boom >&2; exit 3'], { readyWhen: () => false }),
      (error: Error) =>
        /exited \(code 3\) before it was ready/.test(error.message) && /boom/.test(error.message),
    );
    await assert.rejects(spawnProcess('/nonexistent/binary', [], {}), /could not be started .*ENOENT/);
  });

  it('Redis at REDIS_URL answers PING', TIMEOUT, async () => {
    const redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      assert.equal(await redis.ping(), 'PONG');
      const prefix = redisKeyPrefix();
      assert.notEqual(prefix, redisKeyPrefix());
      await redis.set(`${prefix}k`, 'v', 'EX', 60);
      assert.equal(await redis.get(`${prefix}k`), 'v');
      await redis.del(`${prefix}k`);
    } finally {
      redis.disconnect();
    }
  });

  it('startRedis gives a private server that can crash and come back on the same port', TIMEOUT, async () => {
    const server = await startRedis();
    const redis = new Redis(server.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 50,
    });
    redis.on('error', () => {});
    try {
      await redis.connect();
      assert.equal(await redis.ping(), 'PONG');
      await server.crash();
      await assert.rejects(redis.ping());
      await server.restart();
      assert.equal(await waitFor(() => redis.ping(), { timeoutMs: 10_000, what: 'Redis back' }), 'PONG');
      assert.notEqual(server.port, Number(new URL(redisUrl()).port));
    } finally {
      redis.disconnect();
      await server.stop();
    }
  });

  it('PostgreSQL: a fresh database answers select 1', TIMEOUT, async () => {
    const [a, b] = await Promise.all([freshPostgresDb(), freshPostgresDb()]);
    try {
      assert.notEqual(a.name, b.name);
      const client = new pg.Client({ connectionString: a.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ one: number; db: string }>(
          'select 1 as one, current_database() as db',
        );
        assert.deepEqual(rows, [{ one: 1, db: a.name }]);
      } finally {
        await client.end();
      }
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
  });

  it('MariaDB: a fresh database answers select 1', TIMEOUT, async () => {
    const db = await freshMysqlDb();
    try {
      const connection = await mysql.createConnection(db.url);
      try {
        const [rows] = await connection.query('select 1 as one, database() as db');
        assert.deepEqual(rows, [{ one: 1, db: db.name }]);
      } finally {
        await connection.end();
      }
    } finally {
      await db.drop();
    }
  });

  it('Prometheus scrapes itself and evaluates rules', TIMEOUT, async () => {
    const prometheus = await startPrometheus({
      configYaml: ({ port }) => `
global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: [harness.rules.yml]
scrape_configs:
  - job_name: prometheus
    static_configs: [{ targets: ['127.0.0.1:${port}'] }]
`,
      ruleFiles: {
        'harness.rules.yml': `
groups:
  - name: harness
    rules:
      - alert: HarnessAlwaysFiring
        expr: vector(1)
`,
      },
    });
    try {
      const up = await prometheus.waitFor(
        async () => {
          const result = await prometheus.query('up{job="prometheus"} == 1');
          return result.length > 0 ? result : undefined;
        },
        20_000,
        'up{job="prometheus"} == 1',
      );
      assert.equal(up[0]?.value[1], '1');
      const targets = await prometheus.targets();
      assert.equal(targets[0]?.health, 'up');
      const alerts = await prometheus.waitFor(
        async () => {
          const firing = (await prometheus.alerts()).filter((a) => a.state === 'firing');
          return firing.length > 0 ? firing : undefined;
        },
        10_000,
        'HarnessAlwaysFiring',
      );
      assert.equal(alerts[0]?.labels.alertname, 'HarnessAlwaysFiring');
    } finally {
      await prometheus.stop();
    }
  });

  it('Alertmanager routes a posted alert to the Slack sink', TIMEOUT, async () => {
    const slack = await startSlackSink();
    const alertmanager = await startAlertmanager({
      configYaml: `
route:
  receiver: slack
  group_wait: 0s
  group_interval: 1s
receivers:
  - name: slack
    slack_configs:
      - api_url: '${slack.url}'
        channel: '#alerts'
        title: '{{ template "harness.title" . }}'
templates: ['*.tmpl']
`,
      templates: {
        'harness.tmpl': '{{ define "harness.title" }}harness: {{ .CommonLabels.alertname }}{{ end }}',
      },
    });
    try {
      await alertmanager.postAlerts([{ labels: { alertname: 'HarnessAlert', severity: 'critical' } }]);
      assert.equal((await alertmanager.alerts())[0]?.labels.alertname, 'HarnessAlert');
      const message = await slack.waitFor((m) => m.body.channel === '#alerts', 15_000);
      assert.equal(message.body.attachments?.[0]?.title, 'harness: HarnessAlert');
    } finally {
      await Promise.all([alertmanager.stop(), slack.stop()]);
    }
  });

  it('node exporter and redis exporter serve /metrics', TIMEOUT, async () => {
    const [nodeExporter, redisExporter] = await Promise.all([
      startNodeExporter(),
      startRedisExporter(redisUrl()),
    ]);
    try {
      assert.match(await nodeExporter.metrics(), /^node_exporter_build_info\{/m);
      assert.match(await redisExporter.metrics(), /^redis_up 1$/m);
    } finally {
      await Promise.all([nodeExporter.stop(), redisExporter.stop()]);
    }
  });

  it('VictoriaMetrics answers a query for an imported sample', TIMEOUT, async () => {
    const vm = await startVictoriaMetrics();
    try {
      await vm.importPrometheus('harness_probe{source="harness"} 42\n');
      const result = await waitFor(
        async () => {
          await vm.flush();
          const r = await vm.query('harness_probe');
          return r.length > 0 ? r : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 250, what: 'harness_probe in VictoriaMetrics' },
      );
      assert.deepEqual(result[0]?.metric, { __name__: 'harness_probe', source: 'harness' });
      assert.equal(result[0]?.value[1], '42');
    } finally {
      await vm.stop();
    }
  });

  it('Slack sink records an incoming-webhook POST', async () => {
    const slack = await startSlackSink();
    try {
      const response = await fetch(slack.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'hello from the harness' }),
      });
      assert.equal(response.status, 200);
      assert.equal(await response.text(), 'ok');
      assert.equal((await slack.waitFor()).body.text, 'hello from the harness');
    } finally {
      await slack.stop();
    }
  });

  it('SMTP sink records a message sent over a raw SMTP dialogue', async () => {
    const smtp = await startSmtpSink();
    try {
      const reply = await sendRawSmtp(
        smtp.port,
        'alerts@askproai.test',
        'oncall@askproai.test',
        'From: Alerts <alerts@askproai.test>\nTo: oncall@askproai.test\nSubject: Harness\n\nHello on-call.\n.dot line\n',
      );
      assert.match(reply, /^221/);
      const mail = await smtp.waitFor((m) => m.subject === 'Harness');
      assert.deepEqual(mail.to, ['oncall@askproai.test']);
      assert.equal(mail.from, '"Alerts" <alerts@askproai.test>');
      assert.equal(mail.text.trim(), 'Hello on-call.\n.dot line');
    } finally {
      await smtp.stop();
    }
  });

  it('Sentry sink decodes a gzipped envelope', async () => {
    const sentry = await startSentrySink();
    try {
      const dsn = new URL(sentry.dsn);
      assert.equal(dsn.username, 'publickey');
      const event = JSON.stringify({ event_id: 'a'.repeat(32), message: 'harness boom', level: 'error' });
      const envelope = [
        JSON.stringify({ event_id: 'a'.repeat(32), dsn: sentry.dsn }),
        JSON.stringify({ type: 'event', length: Buffer.byteLength(event) }),
        event,
        JSON.stringify({ type: 'client_report' }),
        JSON.stringify({ discarded_events: [] }),
      ].join('\n');
      const response = await fetch(`${dsn.origin}/api${dsn.pathname}/envelope/?sentry_key=publickey`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-sentry-envelope', 'content-encoding': 'gzip' },
        body: gzipSync(envelope),
      });
      assert.equal(response.status, 200);
      const received = await sentry.waitFor();
      assert.equal(received.projectId, '1');
      assert.deepEqual(
        received.items.map((i) => i.header.type),
        ['event', 'client_report'],
      );
      assert.equal((sentry.items('event')[0] as { message: string }).message, 'harness boom');
    } finally {
      await sentry.stop();
    }
  });

  it('Loki sink records a gzipped JSON push', async () => {
    const loki = await startLokiSink();
    try {
      const ts = `${Date.now()}000000`;
      const response = await fetch(loki.pushUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipSync(
          JSON.stringify({ streams: [{ stream: { app: 'harness' }, values: [[ts, 'hello loki']] }] }),
        ),
      });
      assert.equal(response.status, 204);
      assert.deepEqual((await loki.waitFor((s) => s.stream.app === 'harness')).values, [[ts, 'hello loki']]);
      assert.deepEqual(loki.lines(), [{ labels: { app: 'harness' }, timestampNs: ts, line: 'hello loki' }]);
    } finally {
      await loki.stop();
    }
  });

  it('Chromium renders a data: URL', TIMEOUT, async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto('data:text/html,<title>harness ok</title><h1>hello</h1>');
      assert.equal(await page.title(), 'harness ok');
      assert.equal(await page.textContent('h1'), 'hello');
    } finally {
      await browser.close();
    }
  });

  it('freePort gives bindable ports', async () => {
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    for (const port of ports) assert.ok(port > 0 && port < 65536);
  });
});
