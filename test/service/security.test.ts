// The service under attack, over real sockets: nothing readable without a credential, one tenant never
// sees or changes another's rows, the admin login holds (CSRF, rate limit, cookie flags, logout),
// security headers on HTML, forged beacons and demo routes cannot move an alert, unsigned webhooks are
// never parsed, slow and idle sockets are closed, and hostile input neither slows /api/health nor puts
// PII into logs. Property-based parts use fast-check; cases that once broke something are in CORPUS.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { loadConfig } from '../../src/config.ts';
import { createMetrics } from '../../src/metrics/setup.ts';
import { DEMO_ENDPOINTS } from '../../src/monitoring/config.ts';
import { buildService, SERVER_LIMITS } from '../../src/service/app.ts';
import { createApiKey } from '../../src/service/auth/credentials.ts';
import { DEMO_COMPANY, DEMO_CREDENTIALS, DEMO_SECRETS } from '../../src/service/demo.ts';
import { metricsOptions } from '../../src/service/metrics-options.ts';
import { resolveSessionSecret, resolveWebhookSecrets } from '../../src/service/secrets.ts';
import { type RunningService, startService } from '../../src/service/start.ts';
import { calcomEvent, calcomUid, signedCalcom } from '../../src/service/webhooks/samples.ts';
import { API_HEADERS, adminCookie, cookiesOf, metric, scrapeUrl, testConfig } from './helpers.ts';

const OTHER = { id: 'cmp_other', eventTypeId: 2002 };
const PHONE = '+4917612345678';
const EMAIL = 'erika.mustermann@example.com';

/** Inputs that once broke something (froze the scrubber or the label guard, or leaked PII). */
const CORPUS = [
  `/api/health?q=${'a'.repeat(15_000)}`,
  `/api/bookings?x=${'a.'.repeat(7000)}@`,
  `/nope/${'+1 '.repeat(4000)}x`,
  `/nope?caller=%2B49${'1'.repeat(9)}&mail=erika%40example.com`,
  `/${'%2B'.repeat(5000)}`,
];

function logCapture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(l);
      cb();
    },
  });
  return { lines, stream };
}

describe('hardened service', () => {
  let s: RunningService;
  let base: string;
  let otherKey: string;
  const logs = logCapture();

  before(async () => {
    s = await startService(
      testConfig({ DATABASE_URL: 'sqlite::memory:', HOST: '127.0.0.1', REDIS_URL: '', LOG_LEVEL: 'info' }),
      { logDestination: logs.stream },
    );
    base = s.url!;
    const now = Date.now();
    await s.database.db
      .insertInto('companies')
      .values({
        id: OTHER.id,
        name: 'Other',
        is_active: 1,
        phone_number: null,
        retell_agent_id: 'agent_other',
        created_at: now,
      })
      .execute();
    await s.database.db
      .insertInto('calcom_event_types')
      .values({ event_type_id: OTHER.eventTypeId, company_id: OTHER.id, slug: 'other' })
      .execute();
    otherKey = (await createApiKey(s.database.db, OTHER.id, 'test')).key;
  });
  after(async () => {
    await s?.close();
  });

  test('the data APIs need a credential, and a key sees only its own tenant', async () => {
    for (const path of ['/api/companies', '/api/bookings', '/api/calls', '/api/bookings/bkg_x']) {
      assert.equal((await fetch(`${base}${path}`)).status, 401, path);
      const forged = await fetch(`${base}${path}`, {
        headers: { authorization: 'Bearer askp_0000000000000000_x' },
      });
      assert.equal(forged.status, 401, path);
    }
    const demo = (await (await fetch(`${base}/api/companies`, { headers: API_HEADERS })).json()) as {
      companies: { id: string }[];
    };
    assert.deepEqual(
      demo.companies.map((c) => c.id),
      [DEMO_COMPANY.id],
    );
    const other = { authorization: `Bearer ${otherKey}` };
    const created = await fetch(`${base}/api/bookings`, {
      method: 'POST',
      headers: { ...API_HEADERS, 'content-type': 'application/json' },
      body: JSON.stringify({ companyId: DEMO_COMPANY.id, source: 'api', startTime: '2030-01-02T10:00:00Z' }),
    });
    assert.equal(created.status, 201);
    const id = ((await created.json()) as { id: string }).id;
    assert.equal((await fetch(`${base}/api/bookings/${id}`, { headers: other })).status, 404);
    assert.equal((await fetch(`${base}/api/bookings/${id}`, { headers: API_HEADERS })).status, 200);
    assert.equal(
      (await fetch(`${base}/api/bookings?companyId=${DEMO_COMPANY.id}`, { headers: other })).status,
      403,
    );
    const otherList = (await (await fetch(`${base}/api/bookings`, { headers: other })).json()) as {
      bookings: unknown[];
    };
    assert.deepEqual(otherList.bookings, []);
    const intoDemo = await fetch(`${base}/api/bookings`, {
      method: 'POST',
      headers: { ...other, 'content-type': 'application/json' },
      body: JSON.stringify({ companyId: DEMO_COMPANY.id, source: 'api', startTime: '2030-01-02T10:00:00Z' }),
    });
    assert.equal(intoDemo.status, 403);
  });

  test('admin pages: login page, CSRF, cookie flags, security headers, logout', async () => {
    const anonymous = await fetch(`${base}/admin/bookings`, { redirect: 'manual' });
    assert.equal(anonymous.status, 303);
    assert.equal(anonymous.headers.get('location'), '/admin/login?next=%2Fadmin%2Fbookings');

    const login = await fetch(`${base}/admin/login`);
    const csp = login.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(/script-src[^;]*/.exec(csp)?.[0] ?? '', /unsafe-inline/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(login.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(login.headers.get('referrer-policy'), 'no-referrer');

    // A form post without the CSRF token (a cross-site form) is refused.
    const noToken = await fetch(`${base}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookiesOf(login) },
      body: `username=${DEMO_CREDENTIALS.adminUser}&password=${DEMO_CREDENTIALS.adminPassword}`,
    });
    assert.equal(noToken.status, 403);

    const cookie = await adminCookie(base);
    const page = await fetch(`${base}/admin`, { headers: { cookie } });
    assert.equal(page.status, 200);
    const html = await page.text();
    const session = (await fetch(`${base}/admin/login`)).headers;
    assert.ok(session);
    // The session cookie's flags, as set at login.
    const setCookie = await loginSetCookie(base);
    assert.match(setCookie, /askproai_session=/);
    assert.match(setCookie, /HttpOnly/i);
    assert.match(setCookie, /SameSite=Strict/i);
    // Outside production on loopback the cookie is not Secure (plain HTTP); see the production test below.

    const token = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
    const out = await fetch(`${base}/admin/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: `_csrf=${encodeURIComponent(token)}`,
    });
    assert.equal(out.status, 303);
    // The old cookie no longer opens anything: the session is gone from the store.
    assert.equal((await fetch(`${base}/admin`, { headers: { cookie }, redirect: 'manual' })).status, 303);
    assert.equal((await fetch(`${base}/api/companies`, { headers: { cookie } })).status, 401);
  });

  test('forged beacons never count: 600 hostile ones leave the page-load metric alone', async () => {
    const count = async () =>
      metric(await scrapeUrl(base), 'askproai_admin_page_load_seconds_count', { page: 'dashboard' });
    const before = await count();
    const cookie = await adminCookie(base);
    const variants: Record<string, string>[] = [
      { 'content-type': 'text/plain' },
      { 'content-type': 'text/plain', origin: 'https://evil.example' },
      { 'content-type': 'text/plain', 'sec-fetch-site': 'cross-site', cookie },
      { 'content-type': 'text/plain', 'sec-fetch-site': 'same-origin' },
    ];
    const statuses = new Set<number>();
    await Promise.all(
      Array.from({ length: 600 }, async (_, i) => {
        const res = await fetch(`${base}/api/rum`, {
          method: 'POST',
          headers: variants[i % variants.length]!,
          body: JSON.stringify({ page: 'dashboard', loadMs: 599_000 }),
        });
        statuses.add(res.status);
        await res.arrayBuffer();
      }),
    );
    assert.deepEqual([...statuses].sort(), [401, 403]);
    // A logged-in admin page is rate-limited per session.
    const own = { 'content-type': 'text/plain', 'sec-fetch-site': 'same-origin', cookie };
    const codes: number[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`${base}/api/rum`, {
        method: 'POST',
        headers: own,
        body: JSON.stringify({ page: 'settings', loadMs: 100 }),
      });
      codes.push(res.status);
      await res.arrayBuffer();
    }
    assert.equal(codes.filter((c) => c === 204).length, 30);
    assert.ok(codes.slice(30).every((c) => c === 429));
    assert.equal(await count(), before);
  });

  test('login attempts are rate-limited and slowed after failures', async () => {
    const attempt = async () => {
      const form = await fetch(`${base}/admin/login`, { headers: { 'x-forwarded-for': '1.2.3.4' } });
      if (form.status === 429) return 429;
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
      const res = await fetch(`${base}/admin/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookiesOf(form) },
        body: new URLSearchParams({ _csrf: csrf, username: 'demo', password: 'wrong-password-1' }).toString(),
      });
      await res.arrayBuffer();
      return res.status;
    };
    const codes: number[] = [];
    for (let i = 0; i < 8; i++) codes.push(await attempt());
    assert.ok(codes.includes(401), String(codes));
    assert.ok(codes.includes(429), `the limit of 10 a minute (form and post both count): ${codes}`);
  });

  test('demo routes are not there in production, and production refuses weak or missing secrets', async () => {
    const strong = (c: string) => `${c}${'0123456789abcdef'.repeat(3)}`;
    const prodEnv = {
      NODE_ENV: 'production',
      METRICS_AUTH_TOKEN: strong('m'),
      RETELL_API_KEY: strong('r'),
      CALCOM_WEBHOOK_SECRET: strong('c'),
      SESSION_SECRET: strong('s'),
      LOG_LEVEL: 'silent',
      MONITORING_ENABLED: 'false',
    };
    const config = loadConfig(prodEnv);
    const metrics = createMetrics(metricsOptions(config));
    const prod = await buildService({ config, metrics });
    try {
      for (const path of DEMO_ENDPOINTS)
        assert.equal((await prod.app.inject({ url: path })).statusCode, 404, path);
      // The demo credentials never work there.
      const res = await prod.app.inject({ url: '/api/companies', headers: API_HEADERS });
      assert.equal(res.statusCode, 401);
    } finally {
      await prod.app.close();
      await metrics.close();
    }
    const refuses = (env: Record<string, string>, message: RegExp) => {
      assert.throws(() => {
        const c = loadConfig({ ...prodEnv, ...env });
        resolveWebhookSecrets(c);
        resolveSessionSecret(c);
      }, message);
    };
    refuses({ RETELL_API_KEY: 'short' }, /RETELL_API_KEY: must be at least 32 characters/);
    refuses({ CALCOM_WEBHOOK_SECRET: 'x'.repeat(40) }, /CALCOM_WEBHOOK_SECRET: is one character repeated/);
    refuses({ METRICS_AUTH_TOKEN: 'changeme' }, /METRICS_AUTH_TOKEN: is a documentation placeholder/);
    refuses({ SESSION_SECRET: '' }, /SESSION_SECRET: required in production/);
    // Development defaults on a reachable address are refused too, naming the variable.
    assert.throws(
      () => loadConfig({ NODE_ENV: 'development', HOST: '0.0.0.0' }),
      /METRICS_AUTH_TOKEN: required/,
    );
    assert.throws(
      () =>
        resolveWebhookSecrets(
          loadConfig({ NODE_ENV: 'development', HOST: '0.0.0.0', METRICS_AUTH_TOKEN: strong('m') }),
        ),
      /RETELL_API_KEY: required on HOST 0\.0\.0\.0/,
    );
  });

  test('an unsigned 1 MB nested-array body is refused before it is parsed; the answer says only that', async () => {
    const body = `${'['.repeat(500_000)}${']'.repeat(500_000)}`;
    const res = await fetch(`${base}/api/webhooks/calcom`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-cal-signature-256': 'f'.repeat(64) },
      body,
    });
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { error: 'invalid signature' });
  });

  test("a signed Cal.com event of one tenant cannot cancel another tenant's booking", async () => {
    const uid = calcomUid();
    const created = signedCalcom(calcomEvent('BOOKING_CREATED', { uid }), DEMO_SECRETS.calcomWebhookSecret);
    assert.equal(
      (
        await fetch(`${base}/api/webhooks/calcom`, {
          method: 'POST',
          headers: created.headers,
          body: created.body,
        })
      ).status,
      200,
    );
    const cancel = signedCalcom(
      calcomEvent('BOOKING_CANCELLED', { uid, eventTypeId: OTHER.eventTypeId }),
      DEMO_SECRETS.calcomWebhookSecret,
    );
    const res = await fetch(`${base}/api/webhooks/calcom`, {
      method: 'POST',
      headers: cancel.headers,
      body: cancel.body,
    });
    // Acknowledged (so the provider does not retry forever), but nothing changes.
    assert.equal(res.status, 200, await res.text());
    const row = await s.database.db
      .selectFrom('bookings')
      .select(['status', 'company_id'])
      .where('calcom_uid', '=', uid)
      .execute();
    assert.deepEqual(row, [{ status: 'confirmed', company_id: DEMO_COMPANY.id }]);
  });

  test('hostile URLs, headers and label values do not slow /api/health and leave no PII in logs', async () => {
    const health = async (n: number) => {
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        const r = await fetch(`${base}/api/health`);
        await r.arrayBuffer();
        times.push(performance.now() - t);
      }
      return times.sort((a, b) => a - b)[Math.floor(n / 2)]!;
    };
    const quiet = await health(30);
    let attacking = true;
    const attackers = Array.from({ length: 4 }, async (_, w) => {
      let i = w;
      while (attacking) {
        const url = CORPUS[i++ % CORPUS.length]!;
        const res = await fetch(`${base}${url}`, {
          headers: {
            'x-request-id': 'a'.repeat(8000),
            traceparent: `00-${'a'.repeat(8000)}`,
            'user-agent': `${PHONE} ${EMAIL}`,
          },
        }).catch(() => undefined);
        await res?.arrayBuffer();
        const rum = await fetch(`${base}/api/rum`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain', 'sec-fetch-site': 'same-origin' },
          body: JSON.stringify({ page: `${'+1 '.repeat(1300)}@a.`, loadMs: 1 }),
        }).catch(() => undefined);
        await rum?.arrayBuffer();
      }
    });
    const loaded = await health(30);
    attacking = false;
    await Promise.all(attackers);
    // The median health check under attack stays within a small multiple of the quiet one (a scrubber
    // that froze for 0.5 s per URL moved it by two orders of magnitude).
    assert.ok(loaded < quiet * 10 + 50, `quiet ${quiet.toFixed(1)} ms, under attack ${loaded.toFixed(1)} ms`);
    const text = logs.lines.join('\n');
    assert.doesNotMatch(text, /17612345678|erika|%2B49|%40example/i);
    assert.doesNotMatch(text, /\?q=|\?caller=|\?x=/, 'no query strings in logs');
  });

  test('property: random webhook bodies and headers never cause a 5xx and store nothing when refused', async () => {
    const before = await s.database.db.selectFrom('bookings').select('id').execute();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('retell', 'calcom'),
        fc.oneof(fc.json(), fc.string({ maxLength: 2000 }), fc.constant(`{"a":${'['.repeat(5000)}`)),
        fc.dictionary(
          fc.constantFrom('x-retell-signature', 'x-cal-signature-256', 'content-type', 'x-request-id'),
          fc.string({ maxLength: 200 }).filter((v) => /^[\x20-\x7e]*$/.test(v)),
        ),
        async (provider, body, headers) => {
          const res = await fetch(`${base}/api/webhooks/${provider}`, { method: 'POST', headers, body });
          await res.arrayBuffer();
          assert.ok(res.status < 500, `${res.status} for ${provider}`);
          assert.ok([400, 401, 404, 413, 415].includes(res.status), String(res.status));
        },
      ),
      { numRuns: 60 },
    );
    assert.deepEqual(await s.database.db.selectFrom('bookings').select('id').execute(), before);
  });
});

/** The Set-Cookie of a successful login (its flags). */
async function loginSetCookie(base: string): Promise<string> {
  const form = await fetch(`${base}/admin/login`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const res = await fetch(`${base}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookiesOf(form) },
    body: new URLSearchParams({
      _csrf: csrf,
      username: DEMO_CREDENTIALS.adminUser,
      password: DEMO_CREDENTIALS.adminPassword,
    }).toString(),
  });
  return res.headers.getSetCookie().find((c) => c.startsWith('askproai_session=')) ?? '';
}

describe('slow and idle sockets', () => {
  let s: RunningService;
  before(async () => {
    s = await startService(testConfig({ DATABASE_URL: 'sqlite::memory:', HOST: '127.0.0.1', REDIS_URL: '' }));
  });
  after(async () => {
    await s?.close();
  });

  const closedWithin = (write: (socket: import('node:net').Socket) => void, limitMs: number) =>
    new Promise<number>((resolve, reject) => {
      const url = new URL(s.url!);
      const started = performance.now();
      const socket = connect(Number(url.port), url.hostname, () => write(socket));
      socket.on('data', () => {});
      socket.on('error', () => {});
      const guard = setTimeout(() => {
        socket.destroy();
        reject(new Error(`still open after ${limitMs} ms`));
      }, limitMs);
      socket.on('close', () => {
        clearTimeout(guard);
        resolve(performance.now() - started);
      });
    });

  test('a client that sends one header byte every 5 s is closed by the headers timeout', async () => {
    let timer: NodeJS.Timeout | undefined;
    const ms = await closedWithin(
      (socket) => {
        const text = 'GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: ';
        let i = 0;
        socket.write(text);
        timer = setInterval(() => {
          if (!socket.destroyed) socket.write(String(i++ % 10));
        }, 5000);
      },
      SERVER_LIMITS.headersTimeoutMs + SERVER_LIMITS.connectionsCheckingIntervalMs + 5000,
    );
    clearInterval(timer);
    assert.ok(ms >= SERVER_LIMITS.headersTimeoutMs - 1000, `closed after ${ms} ms`);
  });

  test('an idle connection is closed by the keep-alive timeout after a request', async () => {
    await closedWithin((socket) => {
      socket.write('GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n');
    }, SERVER_LIMITS.keepAliveTimeoutMs + 5000);
  });
});
