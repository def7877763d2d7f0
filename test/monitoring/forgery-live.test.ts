// Nobody without a credential can raise a page. The service runs as a real process in production mode on
// loopback with strong secrets, a real Prometheus scrapes it every second and evaluates the generated rule
// files (windows and `for:` shortened to seconds, see test/support/rules.ts). While a small stream of
// legitimate traffic flows (deliveries signed with the real secrets, API calls with a key made by the
// documented CLI), an attacker without any credential floods the webhooks unsigned and wrongly signed,
// uploads bodies one byte at a time, hammers the data APIs, the admin pages, the metrics endpoint and the
// beacon route, sends oversized bodies and aborts requests. Afterwards every alerting rule's expression is
// evaluated over the whole attack: none that pages may have returned anything. The positive control breaks
// the service for real (its calls table is renamed) and the same evaluation sees the webhook alerts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { parse, stringify } from 'yaml';
import { createContext } from '../../src/monitoring/context.ts';
import { paths } from '../../src/monitoring/generate.ts';
import { calcomEvent, retellEvent, signedCalcom, signedRetell } from '../../src/service/webhooks/samples.ts';
import {
  CALCOM_SIGNATURE_HEADER,
  RETELL_SIGNATURE_HEADER,
  signCalcom,
  signRetell,
} from '../../src/service/webhooks/signature.ts';
import { withFreePort } from '../support/ports.ts';
import { type ManagedProcess, makeTempDir, spawnProcess } from '../support/processes.ts';
import { type Prometheus, startPrometheus } from '../support/prometheus.ts';
import { fastRuleFile, type GeneratedRule } from '../support/rules.ts';
import { waitFor } from '../support/wait.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'scripts/askproai-dev.js');
/** Every rate window (minutes, hours, days) and `for:` of the generated rules, shortened. */
const WINDOW_S = 10;
const secret = () => randomBytes(24).toString('hex');
const SECRETS = {
  METRICS_AUTH_TOKEN: secret(),
  RETELL_API_KEY: secret(),
  CALCOM_WEBHOOK_SECRET: secret(),
  SESSION_SECRET: secret(),
};
const RULE_FILES = {
  'recording.yml': paths.recordingRules,
  'alerts.yml': paths.alertRules,
  'slo.yml': paths.sloRules,
} as const;

let service: ManagedProcess;
let base: string;
let dbFile: string;
let env: NodeJS.ProcessEnv;
let apiKey: string;
let prom: Prometheus;
/** The alerting rules exactly as Prometheus evaluates them (shortened). */
const alertRules: GeneratedRule[] = [];

before(async () => {
  const dir = await makeTempDir('forgery-service');
  dbFile = join(dir, 'askproai.sqlite');
  service = await withFreePort((port) => {
    base = `http://127.0.0.1:${port}`;
    env = {
      ...SECRETS,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: `sqlite:${dbFile}`,
      REDIS_URL: '',
      SENTRY_DSN: '',
      LOKI_URL: '',
      LOG_LEVEL: 'warn',
    };
    return spawnProcess(process.execPath, [BIN, 'serve'], {
      name: 'askproai serve (production)',
      cwd: ROOT,
      env,
      tempDirs: [dir],
      readyUrl: `${base}/api/health`,
      timeoutMs: 60_000,
    });
  });
  // The first key, as docs/service.md tells an operator to make it.
  const created = await run(process.execPath, [BIN, 'apikey:create', 'cmp_demo', 'forgery test'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
  apiKey = /^askp_\S+$/m.exec(created.stdout)?.[0] ?? '';
  assert.ok(apiKey, 'apikey:create printed no key');

  const ruleFiles: Record<string, string> = {};
  for (const [name, path] of Object.entries(RULE_FILES)) {
    const file = await fastRuleFile(path, { window: `${WINDOW_S}s`, for: '1s', allWindows: true });
    ruleFiles[name] = stringify(file);
    for (const g of file.groups) alertRules.push(...g.rules.filter((r) => r.alert));
  }
  // The generated scrape job of the service, pointed at this process and this test's token file.
  const job = createContext().config.jobs.service;
  const generated = parse(await readFile(join(ROOT, paths.prometheus), 'utf8')) as {
    scrape_configs: Record<string, unknown>[];
  };
  const scrape = generated.scrape_configs.find((s) => s.job_name === job)!;
  prom = await startPrometheus({
    ruleFiles,
    files: { metrics_token: SECRETS.METRICS_AUTH_TOKEN },
    configYaml: ({ dir: promDir }) =>
      stringify({
        global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
        rule_files: Object.keys(RULE_FILES).map((f) => join(promDir, f)),
        scrape_configs: [
          {
            ...scrape,
            dns_sd_configs: undefined,
            static_configs: [{ targets: [base.replace('http://', '')] }],
            authorization: { type: 'Bearer', credentials_file: join(promDir, 'metrics_token') },
          },
        ],
      }),
  });
});

after(async () => {
  await Promise.allSettled([legit?.stop(), prom?.stop(), service?.stop()]);
});

// --- legitimate traffic ---------------------------------------------------------------------------

interface Tally {
  [what: string]: Record<number, number>;
}
const count = (tally: Tally, what: string, status: number) => {
  tally[what] ??= {};
  tally[what][status] = (tally[what][status] ?? 0) + 1;
};

async function request(path: string, init: RequestInit = {}): Promise<number> {
  const response = await fetch(`${base}${path}`, {
    redirect: 'manual',
    ...init,
    signal: AbortSignal.timeout(20_000),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Signed deliveries and API calls with the key, a few a second, until stopped. */
function legitimate() {
  const tally: Tally = {};
  let running = true;
  const key = { authorization: `Bearer ${apiKey}` };
  const loop = (async () => {
    while (running) {
      const retell = signedRetell(retellEvent('call_ended'), SECRETS.RETELL_API_KEY);
      const calcom = signedCalcom(calcomEvent('BOOKING_CREATED'), SECRETS.CALCOM_WEBHOOK_SECRET);
      const results = await Promise.allSettled([
        request('/api/webhooks/retell', { method: 'POST', ...retell }),
        request('/api/webhooks/calcom', { method: 'POST', ...calcom }),
        request('/api/companies', { headers: key }),
        request('/api/bookings', { headers: key }),
      ]);
      results.forEach((r, i) => {
        count(
          tally,
          ['retell', 'calcom', 'companies', 'bookings'][i]!,
          r.status === 'fulfilled' ? r.value : 0,
        );
      });
      // A steady trickle, not a load test: a few rounds a second.
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    tally,
    async stop() {
      running = false;
      await loop;
    },
  };
}
let legit: ReturnType<typeof legitimate> | undefined;

// --- the attacker -----------------------------------------------------------------------------------

/** Runs `jobs` with at most `width` in flight. */
async function pool(jobs: (() => Promise<void>)[], width: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) await jobs[next++]!();
    }),
  );
}

/**
 * A raw HTTP/1.1 request whose body goes out one byte every `intervalMs`; resolves with the status the
 * service answered (0 when the socket closed without an answer). The upload stops once an answer came.
 * With `abortAfterMs` the socket is destroyed after that long instead (a client that gave up).
 */
function rawRequest(
  method: string,
  path: string,
  o: { headers?: Record<string, string>; bytes: number; intervalMs: number; abortAfterMs?: number },
): Promise<number> {
  const url = new URL(base);
  return new Promise((resolveStatus) => {
    const socket = connect(Number(url.port), url.hostname);
    let answer = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const done = (status: number) => {
      clearInterval(timer);
      socket.destroy();
      resolveStatus(status);
    };
    socket.on('connect', () => {
      const head = Object.entries({
        host: url.host,
        'content-type': 'application/json',
        'content-length': String(o.bytes),
        ...o.headers,
      })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      socket.write(`${method} ${path} HTTP/1.1\r\n${head}\r\n`);
      timer = setInterval(() => {
        if (sent < o.bytes) {
          socket.write(sent === 0 ? '{' : ' ');
          sent++;
        }
      }, o.intervalMs);
      if (o.abortAfterMs !== undefined) setTimeout(() => done(499), o.abortAfterMs);
    });
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      if (status) done(Number(status[1]));
    });
    socket.on('error', () => done(0));
    socket.on('close', () => done(0));
  });
}

/** Everything an attacker without a credential can throw at the service; returns what it answered. */
/** How long each slow upload took to be answered, in ms (the longest per route). */
const slowest: Record<string, number> = {};

async function attack(): Promise<Tally> {
  const tally: Tally = {};
  const wrongKey = secret();
  const jobs: (() => Promise<void>)[] = [];
  const send = (what: string, path: string, init: RequestInit = {}) =>
    jobs.push(async () => count(tally, what, await request(path, init).catch(() => 0)));
  for (let i = 0; i < 150; i++) {
    const retell = JSON.stringify(retellEvent('call_ended'));
    const calcom = JSON.stringify(calcomEvent('BOOKING_CANCELLED'));
    const json = { 'content-type': 'application/json' };
    send('unsigned webhook', '/api/webhooks/retell', { method: 'POST', headers: json, body: retell });
    send('unsigned webhook', '/api/webhooks/calcom', { method: 'POST', headers: json, body: calcom });
    send('wrongly signed webhook', '/api/webhooks/retell', {
      method: 'POST',
      headers: { ...json, [RETELL_SIGNATURE_HEADER]: signRetell(retell, wrongKey) },
      body: retell,
    });
    send('wrongly signed webhook', '/api/webhooks/calcom', {
      method: 'POST',
      headers: { ...json, [CALCOM_SIGNATURE_HEADER]: signCalcom(calcom, wrongKey) },
      body: calcom,
    });
  }
  const junk = { authorization: `Bearer askp_${randomBytes(8).toString('hex')}_${secret()}` };
  for (let i = 0; i < 40; i++) {
    send('data API', '/api/companies');
    send('data API', '/api/bookings', i % 2 ? { headers: junk } : {});
    send('data API', '/api/calls', { headers: { 'x-api-key': 'guess' } });
    send('data API', '/api/bookings', { method: 'POST', headers: junk, body: '{"companyId":"cmp_demo"}' });
    send('admin', i % 2 ? '/admin' : '/admin/calls');
    send('metrics', '/api/metrics', i % 2 ? { headers: { authorization: 'Bearer guess' } } : {});
    send('beacon', '/api/rum', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ page: 'dashboard', loadSeconds: 60, ttfb: 30 }),
    });
    send('unmatched', `/${randomBytes(6).toString('hex')}/${'x'.repeat(i * 20)}?q=${i}`);
  }
  // Odd requests: wrong methods, content types and encodings, malformed signatures, forms without CSRF.
  const odd: [string, RequestInit][] = [
    ['/admin/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"u":1}' }],
    [
      '/admin/login',
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'username=admin&password=guess',
      },
    ],
    ['/api/rum', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }],
    ['/api/bookings', { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<a/>' }],
    ['/api/bookings/%E0%A4%A', {}],
    ['/api/companies', { method: 'OPTIONS' }],
    ['/admin', { method: 'HEAD' }],
    ['/api/bookings', { method: 'DELETE' }],
    ['/api/health', { headers: { 'x-request-id': 'x'.repeat(4000) } }],
    ['/api/webhooks/retell', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' }],
    ['/api/webhooks/calcom', { method: 'POST', body: '' }],
    [
      '/api/webhooks/retell',
      { method: 'POST', headers: { [RETELL_SIGNATURE_HEADER]: 'v=abc,d=zz' }, body: '{"event":1}' },
    ],
    [
      '/api/webhooks/retell',
      {
        method: 'POST',
        headers: { [RETELL_SIGNATURE_HEADER]: signRetell('{}', wrongKey, Date.now() - 3_600_000) },
        body: '{}',
      },
    ],
    [
      '/api/webhooks/calcom',
      { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-16' }, body: '[[[[[]]]]]' },
    ],
  ];
  for (let i = 0; i < 5; i++) for (const [path, init] of odd) send('odd request', path, init);

  // Bodies above the limit (the webhook routes take 1 MB), refused from their Content-Length.
  for (const provider of ['retell', 'calcom'])
    for (let i = 0; i < 3; i++)
      jobs.push(async () => {
        const status = await rawRequest('POST', `/api/webhooks/${provider}`, {
          bytes: 2 * 1024 * 1024,
          intervalMs: 100,
        });
        count(tally, 'oversized body', status);
      });

  // Slow uploads, a few sockets at once, each some seconds long, to every route that reads a body or
  // answers without a credential; and clients that give up halfway through their body.
  const slow: [method: string, path: string][] = [
    ['POST', '/api/webhooks/retell'],
    ['POST', '/api/webhooks/calcom'],
    ['POST', '/api/bookings'],
    ['POST', '/api/rum'],
    ['POST', '/admin/login'],
    ['GET', '/api/health'],
    ['GET', '/admin/login'],
    ['GET', '/admin'],
  ];
  // Slow uploads twice over, after the flood: alone with the legitimate trickle they are a large share
  // of the requests in a window (a flood of fast refusals would hide them from a quantile).
  const sockets = [...slow, ...slow].map(([method, path]) => async () => {
    const started = Date.now();
    const status = await rawRequest(method, path, { bytes: 12, intervalMs: 250 });
    count(tally, `slow upload ${method} ${path}`, status);
    slowest[`${method} ${path}`] = Math.max(slowest[`${method} ${path}`] ?? 0, Date.now() - started);
  });
  const aborted = slow.map(([method, path]) => async () => {
    count(
      tally,
      'aborted',
      await rawRequest(method, path, { bytes: 1000, intervalMs: 50, abortAfterMs: 400 }),
    );
  });
  await Promise.all([pool(jobs, 8), pool(aborted, 2)]);
  await pool(sockets, 4);
  return tally;
}

// --- evaluating the rules ---------------------------------------------------------------------------

const pages = (r: GeneratedRule) => r.labels?.severity === 'critical' || r.labels?.slo_severity === 'page';

/**
 * Every paging rule whose expression returned anything between `from` and `to` (each second), and every
 * critical alert Prometheus itself held pending or firing then: "alertname {labels}" lines.
 */
async function pagesRaised(from: number, to: number, which = pages): Promise<string[]> {
  const raised = new Set<string>();
  const range = { start: from, end: to, step: 1 };
  for (const rule of alertRules.filter(which)) {
    for (const s of await prom.queryRange(rule.expr, range)) {
      const labels = Object.entries(s.metric)
        .filter(([k]) => k !== 'job' && k !== 'instance')
        .map(([k, v]) => `${k}="${v}"`);
      raised.add(`${rule.alert} {${labels.join(',')}} (expression)`);
    }
  }
  if (which === pages)
    for (const s of await prom.queryRange(
      'ALERTS{severity="critical"} or ALERTS{slo_severity="page"}',
      range,
    ))
      raised.add(`${s.metric.alertname} {${s.metric.alertstate}} (ALERTS)`);
  return [...raised].sort();
}

/** Waits until every rule group has been evaluated after `t` (seconds) with a scrape of the service after it. */
async function evaluatedAfter(t: number): Promise<number> {
  return waitFor(
    async () => {
      const [scraped] = await prom.query('timestamp(up{job="askproai"})');
      if (!scraped || Number(scraped.value[1]) <= t) return undefined;
      const groups = (await prom.rules()) as { lastEvaluation: string }[];
      const last = Math.min(...groups.map((g) => Date.parse(g.lastEvaluation) / 1000));
      return last > t ? last : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 250, what: `a scrape and every rule group evaluated after ${t}` },
  );
}

describe('no page without a credential, live', { timeout: 150_000 }, () => {
  test('the generated rules load and evaluate; the stream of legitimate traffic leaves every page quiet', async () => {
    assert.ok(alertRules.filter(pages).length >= 10, `${alertRules.filter(pages).length} paging rules`);
    legit = legitimate();
    // Quiet once the legitimate calls and bookings fill the windows of the "no calls / bookings" alerts.
    await prom.waitFor(
      async () =>
        (await prom.query(`sum(increase(askproai_calls_total[${WINDOW_S}s])) > 0`)).length > 0 &&
        (await prom.query(`sum(increase(askproai_bookings_total[${WINDOW_S}s])) > 0`)).length > 0 &&
        (await evaluatedAfter(Date.now() / 1000)),
      45_000,
      'legitimate calls and bookings scraped and the rules evaluated',
    );
    await waitFor(
      async () => {
        const now = Date.now() / 1000;
        return (await pagesRaised(now - 1, now)).length === 0 || undefined;
      },
      { timeoutMs: 20_000, intervalMs: 1000, what: 'every paging rule quiet under legitimate traffic' },
    ).catch(async (error: Error) => {
      const now = Date.now() / 1000;
      throw new Error(`${error.message}: ${(await pagesRaised(now - 1, now)).join('; ')}`);
    });
    const groups = (await prom.rules()) as { name: string; rules: { name: string; health: string }[] }[];
    assert.ok(groups.length >= 3, `${groups.length} rule groups`);
    for (const g of groups) for (const r of g.rules) assert.equal(r.health, 'ok', `${g.name}/${r.name}`);
  });

  test('an attacker without a credential raises no page', async (t) => {
    assert.ok(legit, 'the legitimate stream runs');
    const start = Date.now() / 1000;
    const answered = await attack();
    const end = Date.now() / 1000;
    // Every rule has seen the whole attack leave its windows.
    const evaluated = await evaluatedAfter(end + WINDOW_S + 1);

    // The attacker got nothing (a sanity check of the attack itself).
    const statuses = (what: string) => Object.keys(answered[what] ?? {}).map(Number);
    for (const what of ['unsigned webhook', 'wrongly signed webhook'])
      assert.deepEqual(statuses(what), [401], `${what}: ${JSON.stringify(answered[what])}`);
    assert.deepEqual(statuses('oversized body'), [413], JSON.stringify(answered['oversized body']));
    for (const what of ['data API', 'metrics', 'beacon', 'unmatched', 'admin'])
      for (const s of statuses(what)) assert.ok(s >= 300 && s < 500, `${what}: ${JSON.stringify(answered)}`);
    // No hostile request got a server error (0: the socket closed without an answer, as for an abort).
    for (const [what, t] of Object.entries(answered))
      for (const s of Object.keys(t).map(Number)) assert.ok(s < 500, `${what}: ${JSON.stringify(t)}`);
    const total = Object.values(answered).reduce(
      (n, t) => n + Object.values(t).reduce((a, b) => a + b, 0),
      0,
    );
    assert.ok(total >= 900, `only ${total} hostile requests`);

    // The service kept serving the legitimate clients throughout.
    for (const [what, t] of Object.entries(legit.tally))
      for (const s of Object.keys(t).map(Number))
        assert.ok(s >= 200 && s < 300, `${what}: ${JSON.stringify(t)}`);

    // The attack reached Prometheus: its rejected deliveries and client errors are counted.
    const [rejected] = await prom.query(
      `sum(increase(askproai_webhooks_total{status="rejected"}[${Math.ceil(evaluated - start) + 2}s]))`,
    );
    assert.ok(Number(rejected?.value[1]) >= 500, `rejected deliveries seen: ${JSON.stringify(rejected)}`);

    const raised = await pagesRaised(start, evaluated);
    // What does not page may warn (an operator should see a flood of rejected deliveries): reported only.
    const warnings = await pagesRaised(start, evaluated, (r) => !pages(r) && r.alert !== 'Watchdog');
    t.diagnostic(`slow uploads answered after (ms): ${JSON.stringify(slowest)}`);
    t.diagnostic(`warnings during the attack: ${warnings.join('; ') || 'none'}`);
    assert.deepEqual(
      raised,
      [],
      `an attacker without a credential raised pages:\n${raised.join('\n')}\n${JSON.stringify(answered)}`,
    );
  });

  test('positive control: signed deliveries that fail inside the service raise the webhook pages', async () => {
    const start = Date.now() / 1000;
    const file = new Database(dbFile);
    file.exec('ALTER TABLE calls RENAME TO calls_away');
    file.close();
    const raised = await waitFor(
      async () => {
        const r = await pagesRaised(start, Date.now() / 1000);
        const firing = await prom.query('ALERTS{alertname="AskProAIWebhooksFailing",alertstate="firing"}');
        return r.some((l) => l.startsWith('AskProAISloBurnWebhookSuccess {')) && firing.length > 0 && r;
      },
      { timeoutMs: 40_000, intervalMs: 1000, what: 'the webhook pages after the calls table went away' },
    );
    assert.ok(
      raised.some((l) => /^AskProAIWebhooksFailing \{.*provider="retell".*\(expression\)$/.test(l)),
      raised.join('\n'),
    );
    assert.ok(legit!.tally.retell?.[500], 'the signed Retell deliveries failed with 500');
    await legit?.stop();
  });
});
