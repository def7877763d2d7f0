import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { readExposition, type Sample } from '../../src/metrics/exposition-reader.ts';
import { waitFor } from '../support/wait.ts';
import { type Adapter, type RunningApp, startApp, TOKEN } from './apps.ts';

const ADAPTERS: Adapter[] = ['express', 'express-middleware', 'fastify', 'node'];

/** The fixed traffic every adapter gets. */
const TRAFFIC: Array<{ method: string; path: string; times: number }> = [
  { method: 'GET', path: '/api/bookings/1', times: 5 },
  { method: 'GET', path: '/api/bookings/987?x=1', times: 3 },
  { method: 'POST', path: '/api/bookings', times: 4 },
  { method: 'GET', path: '/api/fail', times: 2 },
  { method: 'GET', path: '/api/health', times: 7 },
  { method: 'GET', path: '/wp-admin/setup.php', times: 2 },
  { method: 'GET', path: '/api/bookings/1/extra', times: 1 },
  { method: 'DELETE', path: '/api/bookings/1', times: 1 },
  { method: 'PURGE', path: '/api/bookings/1', times: 1 },
];

function request(
  url: string,
  method: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends a request and drops the connection before the response comes. */
function abortAfter(url: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'GET', agent: false });
    req.on('error', () => resolve());
    req.end();
    setTimeout(() => {
      req.destroy();
      resolve();
    }, ms);
  });
}

async function scrape(app: RunningApp): Promise<Sample[]> {
  const r = await request(`${app.url}/api/metrics`, 'GET', { authorization: `Bearer ${TOKEN}` });
  assert.equal(r.status, 200);
  return readExposition(r.body).samples;
}

/** http_* samples that do not depend on timing: request counts and histogram counts. */
function countSamples(samples: Sample[]): string[] {
  return samples
    .filter(
      (s) =>
        s.name === 'askproai_http_requests_total' ||
        s.name === 'askproai_http_request_duration_seconds_count',
    )
    .map(
      (s) =>
        `${s.name}{${Object.entries(s.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')}} ${s.value}`,
    )
    .sort();
}

describe('HTTP middleware adapters', () => {
  const apps = new Map<Adapter, RunningApp>();
  before(async () => {
    for (const a of ADAPTERS) apps.set(a, await startApp(a));
    for (const app of apps.values()) {
      for (const t of TRAFFIC)
        for (let i = 0; i < t.times; i++) await request(`${app.url}${t.path}`, t.method);
      await abortAfter(`${app.url}/api/slow`, 60);
    }
    // The aborted request is recorded when the server sees the connection close.
    for (const app of apps.values()) {
      await waitFor(
        async () =>
          (await scrape(app)).some(
            (s) => s.name === 'askproai_http_requests_total' && s.labels.status === '499',
          ),
        { what: 'the aborted request to be recorded' },
      );
    }
  });
  after(async () => {
    for (const app of apps.values()) await app.close();
  });

  test('every adapter records identical series for identical traffic', async () => {
    const seen = new Map<Adapter, string[]>();
    for (const [a, app] of apps) seen.set(a, countSamples(await scrape(app)));
    assert.deepEqual(seen.get('express-middleware'), seen.get('express'));
    assert.deepEqual(seen.get('fastify'), seen.get('express'));
    assert.deepEqual(seen.get('node'), seen.get('express'));
  });

  for (const adapter of ADAPTERS) {
    test(`${adapter}: route templates, unmatched, excluded paths, OTHER and aborted requests`, async () => {
      const samples = await scrape(apps.get(adapter)!);
      const count = (labels: Record<string, string>) =>
        samples.find(
          (s) =>
            s.name === 'askproai_http_requests_total' &&
            Object.entries(labels).every(([k, v]) => s.labels[k] === v),
        )?.value;
      assert.equal(count({ method: 'GET', endpoint: '/api/bookings/:id', status: '200' }), 8);
      assert.equal(count({ method: 'POST', endpoint: '/api/bookings', status: '201' }), 4);
      assert.equal(count({ method: 'GET', endpoint: '/api/fail', status: '500' }), 2);
      assert.equal(count({ method: 'GET', endpoint: 'unmatched', status: '404' }), 3);
      assert.equal(count({ method: 'OTHER', endpoint: 'unmatched', status: '404' }), 1);
      assert.equal(count({ method: 'GET', endpoint: '/api/slow', status: '499' }), 1, 'the aborted request');
      const endpoints = new Set(
        samples.filter((s) => s.name === 'askproai_http_requests_total').map((s) => s.labels.endpoint),
      );
      assert.ok(!endpoints.has('/api/health'), 'health checks are excluded');
      assert.ok(!endpoints.has('/api/metrics'), 'the metrics endpoint is excluded');
      for (const e of endpoints)
        assert.ok(!e!.includes('wp-admin') && !e!.includes('987'), `raw URL leaked: ${e}`);
      const slowHistogram = samples.find(
        (s) => s.name === 'askproai_http_request_duration_seconds_count' && s.labels.endpoint === '/api/slow',
      );
      assert.equal(slowHistogram, undefined, 'aborted requests have no response time');
    });
  }
});

for (const adapter of ADAPTERS) {
  test(`${adapter}: with metrics disabled (METRICS_ENABLED=false) requests record nothing`, async () => {
    const app = await startApp(adapter, { enabled: false });
    try {
      for (const t of TRAFFIC) assert.ok((await request(`${app.url}${t.path}`, t.method)).status > 0);
      await abortAfter(`${app.url}/api/slow`, 60);
      const families = readExposition(app.registry.expose()).samples.filter((s) =>
        s.name.startsWith('askproai_http_'),
      );
      assert.deepEqual(families, [], 'no HTTP series at all');
    } finally {
      await app.close();
    }
  });
}

for (const adapter of ADAPTERS) {
  test(`${adapter}: with a trace id source, request durations carry it as an exemplar`, async () => {
    const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const app = await startApp(adapter, { traceId: () => trace });
    try {
      assert.equal((await request(`${app.url}/api/bookings/7`, 'GET')).status, 200);
      const text = await waitFor(
        () => {
          const t = app.registry.expose('openmetrics');
          return t.includes('trace_id') && t;
        },
        { what: 'the traced request to be recorded', timeoutMs: 5000, intervalMs: 10 },
      );
      assert.match(
        text,
        new RegExp(
          `askproai_http_request_duration_seconds_bucket\\{method="GET",endpoint="/api/bookings/:id",status="200",le="[^"]+"\\} 1 # \\{trace_id="${trace}"\\}`,
        ),
      );
    } finally {
      await app.close();
    }
  });
}

for (const install of ['instrumentExpress', 'middleware'] as const) {
  test(`express (${install}): templates of routes in mounted routers include the mount point`, async () => {
    const { default: express } = await import('express');
    const { createRegistry } = await import('../../src/metrics/registry.ts');
    const { HttpMetrics } = await import('../../src/metrics/http/core.ts');
    const { expressMetrics, instrumentExpress } = await import('../../src/metrics/http/express.ts');
    const registry = createRegistry();
    const app = express();
    if (install === 'instrumentExpress') instrumentExpress(app, new HttpMetrics(registry));
    else app.use(expressMetrics(new HttpMetrics(registry)));
    const items = express.Router();
    items.get('/items/:id', (req, res) => {
      res.json({ id: req.params.id });
    });
    app.use('/api/v1', items);
    app.use('/api/v2', items);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      for (const path of ['/api/v1/items/1', '/api/v1/items/2', '/api/v2/items/3'])
        assert.equal((await request(`${base}${path}`, 'GET')).status, 200);
      // Recorded when each response closes, which may come just after the client has its answer.
      const text = await waitFor(
        () => {
          const t = registry.expose();
          return /items\/:id",status="200"\} 2/.test(t) && /v2\/items\/:id",status="200"\} 1/.test(t) && t;
        },
        { what: 'the three requests to be recorded', timeoutMs: 5000, intervalMs: 10 },
      );
      assert.match(
        text,
        /askproai_http_requests_total\{method="GET",endpoint="\/api\/v1\/items\/:id",status="200"\} 2/,
      );
      assert.match(
        text,
        /askproai_http_requests_total\{method="GET",endpoint="\/api\/v2\/items\/:id",status="200"\} 1/,
      );
    } finally {
      server.close();
    }
  });
}

test('express: an app instrumented and given the middleware as well counts each request once', async () => {
  const { default: express } = await import('express');
  const { createRegistry } = await import('../../src/metrics/registry.ts');
  const { HttpMetrics } = await import('../../src/metrics/http/core.ts');
  const { expressMetrics, instrumentExpress } = await import('../../src/metrics/http/express.ts');
  const registry = createRegistry();
  const metrics = new HttpMetrics(registry);
  const app = express();
  instrumentExpress(app, metrics);
  instrumentExpress(app, metrics);
  app.use(expressMetrics(metrics));
  // A sub-app mounted on the instrumented app, with its own middleware of the same metrics.
  const admin = express();
  admin.use(expressMetrics(metrics));
  admin.get('/stats', (_req, res) => {
    res.json({ ok: true });
  });
  app.use('/admin', admin);
  app.get('/api/bookings/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    for (const path of ['/api/bookings/1', '/api/bookings/2', '/admin/stats'])
      assert.equal((await request(`${base}${path}`, 'GET')).status, 200);
    const text = await waitFor(
      () => {
        const t = registry.expose();
        return /bookings\/:id",status="200"\} \d/.test(t) && /\/admin\/stats",status="200"\} \d/.test(t) && t;
      },
      { what: 'the requests to be recorded', timeoutMs: 5000, intervalMs: 10 },
    );
    // Let any second recording of the same responses land before reading the counts.
    await new Promise((r) => setImmediate(r));
    const counts = registry.expose();
    assert.match(
      counts,
      /askproai_http_requests_total\{method="GET",endpoint="\/api\/bookings\/:id",status="200"\} 2\n/,
      text,
    );
    assert.match(
      counts,
      /askproai_http_requests_total\{method="GET",endpoint="\/admin\/stats",status="200"\} 1\n/,
    );
  } finally {
    server.close();
  }
});

test('fastify: routes registered before the plugin, and answers from later onRequest hooks, are recorded', async () => {
  const { default: Fastify } = await import('fastify');
  const { createRegistry } = await import('../../src/metrics/registry.ts');
  const { HttpMetrics } = await import('../../src/metrics/http/core.ts');
  const { fastifyMetrics } = await import('../../src/metrics/http/fastify.ts');
  const registry = createRegistry();
  const app = Fastify();
  app.get('/api/early/:id', async () => ({ early: true }));
  await app.register(fastifyMetrics, { metrics: new HttpMetrics(registry) });
  // An authentication check registered after the metrics, answering before any handler runs.
  app.addHook('onRequest', async (request, reply) => {
    if (request.headers.authorization !== 'Bearer ok') return reply.code(401).send({ error: 'no' });
  });
  app.get('/api/late/:id', async () => ({ late: true }));
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const ok = { authorization: 'Bearer ok' };
    assert.equal((await request(`${base}/api/early/1`, 'GET', ok)).status, 200);
    assert.equal((await request(`${base}/api/late/2`, 'GET', ok)).status, 200);
    assert.equal((await request(`${base}/api/late/3`, 'GET')).status, 401);
    const text = await waitFor(
      () => {
        const t = registry.expose();
        return /status="401"\} 1/.test(t) && /early\/:id",status="200"\} 1/.test(t) && t;
      },
      { what: 'the three requests to be recorded', timeoutMs: 5000, intervalMs: 10 },
    );
    assert.match(
      text,
      /askproai_http_requests_total\{method="GET",endpoint="\/api\/early\/:id",status="200"\} 1\n/,
    );
    assert.match(
      text,
      /askproai_http_requests_total\{method="GET",endpoint="\/api\/late\/:id",status="200"\} 1\n/,
    );
    assert.match(
      text,
      /askproai_http_requests_total\{method="GET",endpoint="\/api\/late\/:id",status="401"\} 1\n/,
    );
  } finally {
    await app.close();
  }
});
