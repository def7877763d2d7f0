import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { MetricsCollector } from '../../src/metrics/collector.ts';
import { createMetricsEndpoint } from '../../src/metrics/endpoint.ts';
import { readExposition } from '../../src/metrics/exposition-reader.ts';
import { nodeMetricsHandler } from '../../src/metrics/http/node.ts';
import { createRegistry } from '../../src/metrics/registry.ts';

const CURRENT = 'current-token-4f1c9a7e2b3d4c5e6f708192a3b4c5d6';
const NEXT = 'next-token-9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

function serve(handler: http.RequestListener): Promise<{ url: string; server: Server }> {
  const server = http.createServer(handler);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/metrics`, server }),
    ),
  );
}

describe('/api/metrics', () => {
  let url: string;
  let server: Server;
  before(async () => {
    const registry = createRegistry();
    new MetricsCollector(registry).recordBooking('confirmed', 'phone');
    ({ url, server } = await serve(
      nodeMetricsHandler(createMetricsEndpoint({ registry, tokens: [CURRENT, NEXT] })),
    ));
  });
  after(() => server.close());

  test('missing, malformed and wrong credentials get the same 401 with WWW-Authenticate: Bearer', async () => {
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: `Basic ${Buffer.from(`user:${CURRENT}`).toString('base64')}` },
      { authorization: CURRENT },
      { authorization: 'Bearer' },
      { authorization: 'Bearer wrong-token' },
      { authorization: `Bearer ${CURRENT.slice(0, -1)}` },
      { authorization: `Bearer ${CURRENT}x` },
      { authorization: `Bearer ${CURRENT} ${NEXT}` },
    ];
    const bodies = new Set<string>();
    for (const headers of attempts) {
      const r = await get(url, headers);
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.match(String(r.headers['www-authenticate']), /^Bearer/);
      const body = r.body.toString();
      assert.ok(!body.includes(CURRENT) && !body.includes(NEXT), 'the token never appears in a response');
      bodies.add(body);
    }
    assert.equal(bodies.size, 1, 'one body for every failure, so a caller learns nothing');
  });

  test('the right token, and the next one during a rotation, are accepted; the scheme is case-insensitive', async () => {
    for (const auth of [`Bearer ${CURRENT}`, `bearer ${NEXT}`]) {
      const r = await get(url, { authorization: auth });
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
      assert.match(r.body.toString(), /askproai_bookings_total\{status="confirmed",source="phone"\} 1/);
    }
  });

  test('OpenMetrics when asked for, gzip when accepted', async () => {
    const r = await get(url, {
      authorization: `Bearer ${CURRENT}`,
      accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5',
      'accept-encoding': 'gzip, deflate',
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.equal(r.headers['content-type'], 'application/openmetrics-text; version=1.0.0; charset=utf-8');
    const text = gunzipSync(r.body).toString();
    assert.ok(readExposition(text).eof);
    const identity = await get(url, { authorization: `Bearer ${CURRENT}`, 'accept-encoding': 'gzip;q=0' });
    assert.equal(identity.headers['content-encoding'], undefined);
  });

  test('HEAD is answered without a body, other methods get 405', async () => {
    const head = await get(url, { authorization: `Bearer ${CURRENT}` }, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    const post = await get(url, { authorization: `Bearer ${CURRENT}` }, 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
  });

  test('METRICS_ENABLED=false answers 404 even with the right token', async () => {
    const { url: off, server: s } = await serve(
      nodeMetricsHandler(
        createMetricsEndpoint({ registry: createRegistry(), tokens: [CURRENT], enabled: false }),
      ),
    );
    try {
      assert.equal((await get(off, { authorization: `Bearer ${CURRENT}` })).status, 404);
    } finally {
      s.close();
    }
  });
});

describe('token configuration', () => {
  const prod = (extra: Record<string, string>) => ({ NODE_ENV: 'production', ...extra });

  test('production refuses a missing, short or placeholder token, naming the variable but not the value', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{}, /METRICS_AUTH_TOKEN: required in production/],
      [
        { METRICS_AUTH_TOKEN: 'your-secure-token-here' },
        /METRICS_AUTH_TOKEN: is a documentation placeholder/,
      ],
      [
        { METRICS_AUTH_TOKEN: 'short-but-secret-value' },
        /METRICS_AUTH_TOKEN: must be at least 32 characters/,
      ],
      [{ METRICS_AUTH_TOKEN: `${CURRENT},tiny-secret` }, /token 2 of 2\): must be at least 32/],
    ];
    for (const [env, message] of cases) {
      assert.throws(
        () => loadConfig(prod(env)),
        (err: Error) => {
          assert.ok(err instanceof ConfigError);
          assert.match(err.message, message);
          assert.match(err.message, /randomBytes\(32\)/, 'says how to generate one');
          assert.ok(!err.message.includes('short-but-secret-value') && !err.message.includes('tiny-secret'));
          return true;
        },
      );
    }
  });

  test('tokens come from METRICS_AUTH_TOKEN_FILE (Docker secrets), comma or newline separated', () => {
    const dir = mkdtempSync(join(tmpdir(), 'askproai-token-'));
    try {
      const file = join(dir, 'token');
      writeFileSync(file, `${CURRENT}\n${NEXT}\n`);
      assert.deepEqual(loadConfig(prod({ METRICS_AUTH_TOKEN_FILE: file })).metrics.tokens, [CURRENT, NEXT]);
      assert.throws(
        () => loadConfig(prod({ METRICS_AUTH_TOKEN_FILE: join(dir, 'missing') })),
        /METRICS_AUTH_TOKEN_FILE: cannot read/,
      );
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  test('development generates a token when none is set', () => {
    const c = loadConfig({ NODE_ENV: 'development' });
    assert.equal(c.metrics.tokenGenerated, true);
    assert.ok(c.metrics.tokens[0]!.length >= 32);
    assert.equal(loadConfig({ METRICS_AUTH_TOKEN: 'x' }).metrics.tokenGenerated, false);
  });

  test('bad values name the variable and what was expected', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }), /PORT: expected a whole number/);
    assert.throws(() => loadConfig({ METRICS_ENABLED: 'maybe' }), /METRICS_ENABLED/);
    assert.throws(() => loadConfig({ METRICS_NAMESPACE: '9lives' }), /METRICS_NAMESPACE/);
    assert.throws(() => loadConfig({ APP_TIMEZONE: 'Mars/Olympus' }), /APP_TIMEZONE: unknown time zone/);
    assert.throws(
      () => loadConfig({ REDIS_URL: 'not a url :secretpw' }),
      (err: Error) => /REDIS_URL: expected a URL/.test(err.message) && !err.message.includes('secretpw'),
    );
  });

  test('the service process exits non-zero in production without a token, and says why', async () => {
    const child = spawn(process.execPath, ['scripts/askproai-dev.js', 'serve'], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        PORT: '0',
        METRICS_AUTH_TOKEN: 'your-secure-token-here',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c) => {
      output += c;
    });
    child.stderr.on('data', (c) => {
      output += c;
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.notEqual(code, 0);
    assert.match(output, /METRICS_AUTH_TOKEN/);
    assert.match(output, /placeholder/);
  });
});
