// The live view mounted on Express, Fastify and node:http over real sockets: the token of /api/metrics
// or the host app's authorize() hook lets a request in, everything else gets 401 (or a redirect to the
// login for a browser); its own requests never show up in the HTTP metrics; METRICS_ENABLED=false
// turns it off; firing alerts come from a real Alertmanager.
import assert from 'node:assert/strict';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import express from 'express';
import Fastify from 'fastify';
import { MetricsCollector } from '../../src/metrics/collector.ts';
import { createMetricsEndpoint } from '../../src/metrics/endpoint.ts';
import { readExposition } from '../../src/metrics/exposition-reader.ts';
import { HttpMetrics } from '../../src/metrics/http/core.ts';
import { expressMetrics, expressMetricsEndpoint } from '../../src/metrics/http/express.ts';
import { fastifyMetrics, fastifyMetricsEndpoint } from '../../src/metrics/http/fastify.ts';
import { instrumentHandler, nodeMetricsHandler, setRoute } from '../../src/metrics/http/node.ts';
import { alertmanagerSource } from '../../src/metrics/live/alerts.ts';
import {
  createLiveView,
  expressLiveView,
  fastifyLiveView,
  type LiveData,
  type LiveViewOptions,
  nodeLiveView,
} from '../../src/metrics/live/index.ts';
import { createRegistry } from '../../src/metrics/registry.ts';
import { type Alertmanager, startAlertmanager } from '../support/alertmanager.ts';

const TOKEN = 'live-test-token-0123456789abcdef0123';
const AUTH = { authorization: `Bearer ${TOKEN}` };
type Adapter = 'express' | 'fastify' | 'node';

interface App {
  url: string;
  close(): Promise<void>;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

async function startApp(adapter: Adapter, extra: Partial<LiveViewOptions> = {}): Promise<App> {
  const registry = createRegistry();
  const metrics = new HttpMetrics(registry);
  const endpoint = createMetricsEndpoint({ registry, tokens: [TOKEN] });
  const live = createLiveView({
    registry,
    tokens: [TOKEN],
    http: metrics,
    authorize: (req) => (req as { headers: Record<string, unknown> }).headers['x-test-admin'] === 'yes',
    ...extra,
  });
  if (adapter === 'express') {
    const app = express();
    app.use(expressMetrics(metrics));
    app.get('/api/metrics', expressMetricsEndpoint(endpoint));
    app.get('/api/hello', (_req, res) => {
      res.json({ hello: true });
    });
    expressLiveView(app, live);
    const server = http.createServer(app);
    const url = await listen(server);
    return { url, close: () => new Promise<void>((r) => server.close(() => r())).then(() => live.stop()) };
  }
  if (adapter === 'fastify') {
    const app = Fastify();
    await app.register(fastifyMetrics, { metrics });
    app.get('/api/metrics', fastifyMetricsEndpoint(endpoint));
    app.get('/api/hello', async () => ({ hello: true }));
    await app.register(fastifyLiveView(live));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url, close: () => app.close() };
  }
  const serveMetrics = nodeMetricsHandler(endpoint);
  const serveLive = nodeLiveView(live);
  const server = http.createServer(
    instrumentHandler(metrics, (req, res) => {
      if (serveLive(req, res)) return;
      if (req.url === '/api/metrics') {
        setRoute(req, '/api/metrics');
        return serveMetrics(req, res);
      }
      if (req.url === '/api/hello') {
        setRoute(req, '/api/hello');
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('{"hello":true}');
      }
      res.writeHead(404);
      res.end();
    }),
  );
  const url = await listen(server);
  return { url, close: () => new Promise<void>((r) => server.close(() => r())).then(() => live.stop()) };
}

for (const adapter of ['express', 'fastify', 'node'] as const) {
  describe(`live view on ${adapter}`, () => {
    let app: App;
    before(async () => {
      app = await startApp(adapter, { loginRedirect: '/login' });
    });
    after(async () => app?.close());

    test('401 without credentials; the token or the authorize hook let in', async () => {
      for (const path of ['/monitoring', '/monitoring/data']) {
        const denied = await fetch(`${app.url}${path}`);
        assert.equal(denied.status, 401, path);
        assert.match(denied.headers.get('www-authenticate') ?? '', /Bearer/);
        await denied.text();
        const wrong = await fetch(`${app.url}${path}`, { headers: { authorization: 'Bearer nope' } });
        assert.equal(wrong.status, 401);
        await wrong.text();
        const forged = await fetch(`${app.url}${path}`, { headers: { 'x-test-admin': 'no' } });
        assert.equal(forged.status, 401);
        await forged.text();
      }
      const page = await fetch(`${app.url}/monitoring`, { headers: AUTH });
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type')!, /text\/html/);
      assert.match(page.headers.get('content-security-policy')!, /script-src 'self'/);
      const html = await page.text();
      assert.match(html, /src="\/monitoring\/assets\/uPlot\.iife\.min\.js"/);
      assert.doesNotMatch(html, /<script>|<script [^>]*>[^<]|style="/, 'no inline script or style');
      const viaHook = await fetch(`${app.url}/monitoring/data`, { headers: { 'x-test-admin': 'yes' } });
      assert.equal(viaHook.status, 200);
      const data = (await viaHook.json()) as LiveData;
      assert.equal(data.intervalMs, 5000);
      assert.ok(data.memory.usedBytes <= data.memory.boundBytes);
    });

    test('a browser without credentials is sent to the login; an API client is not', async () => {
      const res = await fetch(`${app.url}/monitoring`, {
        headers: { accept: 'text/html' },
        redirect: 'manual',
      });
      assert.equal(res.status, 302);
      assert.equal(res.headers.get('location'), '/login?next=%2Fmonitoring');
      const data = await fetch(`${app.url}/monitoring/data`, {
        headers: { accept: 'text/html' },
        redirect: 'manual',
      });
      assert.equal(data.status, 401);
      await data.text();
    });

    test('assets are served from the package, gzipped, without credentials; unknown ones are 404', async () => {
      const res = await fetch(`${app.url}/monitoring/assets/uPlot.iife.min.js`, {
        headers: { 'accept-encoding': 'gzip' },
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type')!, /javascript/);
      const raw = Buffer.from(await res.arrayBuffer());
      // fetch decodes gzip itself; the body is uPlot's browser build either way.
      assert.match(
        (res.headers.get('content-encoding') === 'gzip' && raw[0] === 0x1f
          ? gunzipSync(raw)
          : raw
        ).toString(),
        /uPlot/,
      );
      const missing = await fetch(`${app.url}/monitoring/assets/..%2F..%2Fpackage.json`);
      assert.equal(missing.status, 404);
      await missing.text();
    });

    test("the view's own requests are not recorded in the HTTP metrics", async () => {
      await (await fetch(`${app.url}/api/hello`)).text();
      for (let i = 0; i < 3; i++) {
        await (await fetch(`${app.url}/monitoring/data`, { headers: AUTH })).text();
        await (await fetch(`${app.url}/monitoring`, { headers: AUTH })).text();
        await (await fetch(`${app.url}/monitoring/assets/live.js`)).text();
        await (await fetch(`${app.url}/monitoring?x=1`)).text();
      }
      const text = await (await fetch(`${app.url}/api/metrics`, { headers: AUTH })).text();
      const endpoints = new Set(
        readExposition(text)
          .samples.filter((s) => s.name === 'askproai_http_requests_total')
          .map((s) => s.labels.endpoint),
      );
      assert.deepEqual([...endpoints], ['/api/hello']);
      const data = (await (await fetch(`${app.url}/monitoring/data`, { headers: AUTH })).json()) as LiveData;
      assert.deepEqual(
        data.routes.map((r) => [r.route, r.requests]),
        [['/api/hello', 1]],
      );
    });
  });
}

describe('live view turned off and misconfigured', () => {
  test('METRICS_ENABLED=false answers 404 everywhere', async () => {
    const app = await startApp('fastify', { enabled: false });
    try {
      for (const path of ['/monitoring', '/monitoring/data', '/monitoring/assets/live.js']) {
        const res = await fetch(`${app.url}${path}`, { headers: AUTH });
        assert.equal(res.status, 404, path);
        await res.text();
      }
    } finally {
      await app.close();
    }
  });

  test('a throwing authorize() counts as no', async () => {
    const app = await startApp('node', {
      authorize: () => {
        throw new Error('session store down');
      },
    });
    try {
      const res = await fetch(`${app.url}/monitoring/data`);
      assert.equal(res.status, 401);
      await res.text();
    } finally {
      await app.close();
    }
  });

  test('bad options fail at creation', () => {
    const registry = createRegistry();
    assert.throws(
      () => createLiveView({ registry, tokens: [TOKEN], path: 'monitoring' }),
      /must start with a single \//,
    );
    assert.throws(
      () => createLiveView({ registry, tokens: [TOKEN], loginRedirect: '//evil.example' }),
      /loginRedirect/,
    );
    assert.throws(() => createLiveView({ registry, tokens: [] }), /at least one token/);
  });
});

describe('firing alerts from a real Alertmanager', () => {
  let am: Alertmanager;
  before(async () => {
    am = await startAlertmanager({
      configYaml: `
route: { receiver: 'null', group_wait: 1s }
receivers: [{ name: 'null' }]
`,
    });
    await am.postAlerts([
      {
        labels: { alertname: 'HighApiLatency', severity: 'warning', endpoint: '/api/bookings' },
        annotations: { summary: 'API p95 above 200 ms' },
      },
      {
        labels: { alertname: 'QueueBacklog', severity: 'critical', queue: 'default' },
        annotations: { summary: 'Queue over 1000 jobs' },
      },
    ]);
  });
  after(async () => am?.stop());

  test('the alerts firing now, critical first, with summary and labels', async () => {
    const source = alertmanagerSource({ url: am.url, timeoutMs: 2000, cacheMs: 0 });
    const state = await source.read();
    assert.equal(state.ok, true, state.error);
    assert.deepEqual(
      state.alerts.map((a) => [a.name, a.severity, a.summary]),
      [
        ['QueueBacklog', 'critical', 'Queue over 1000 jobs'],
        ['HighApiLatency', 'warning', 'API p95 above 200 ms'],
      ],
    );
    assert.equal(state.alerts[0]!.labels.queue, 'default');
  });

  test('the data endpoint carries them; an unreachable or silent Alertmanager is reported without its URL', async () => {
    const app = await startApp('fastify', { alertmanagerUrl: am.url });
    try {
      const data = (await (await fetch(`${app.url}/monitoring/data`, { headers: AUTH })).json()) as LiveData;
      assert.equal(data.alerts.configured, true);
      assert.equal(data.alerts.alerts.length, 2);
    } finally {
      await app.close();
    }
    const silent = http.createServer(() => {});
    const silentUrl = await listen(silent);
    try {
      const state = await alertmanagerSource({
        url: silentUrl.replace('http://', 'http://user:s3cret@'),
        timeoutMs: 200,
        cacheMs: 0,
      }).read();
      assert.equal(state.ok, false);
      assert.equal(state.error, 'Alertmanager no answer within 200 ms');
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
    const gone = await alertmanagerSource({ url: 'http://127.0.0.1:1', timeoutMs: 1000, cacheMs: 0 }).read();
    assert.equal(gone.ok, false);
    assert.doesNotMatch(gone.error!, /127\.0\.0\.1/);
  });
});

describe('page weight', () => {
  test('page, script, styles, uPlot and a full hour of data stay under 150 KB compressed', async (t) => {
    const registry = createRegistry();
    const metrics = new HttpMetrics(registry);
    const collector = new MetricsCollector(registry);
    let clock = 1_700_000_000_000;
    const live = createLiveView({ registry, tokens: [TOKEN], http: metrics, now: () => clock });
    const history = live.history!;
    for (let i = 0; i < history.ring.capacity; i++) {
      for (let r = 0; r < 20; r++)
        metrics.route(`/api/route-${r}`)!.record('GET', i % 50 === 0 ? 500 : 200, (i % 30) / 100);
      collector.recordWebhook('retell', 'call_ended', 'processed', 0.1);
      collector.recordWebhook('calcom', 'BOOKING_CREATED', i % 40 === 0 ? 'rejected' : 'processed', 0.1);
      collector.recordCall('completed', 'tenant-1');
      collector.recordBooking('confirmed', 'phone');
      collector.updateQueueSize('default', i % 17);
      collector.setDatabaseConnections(10 + (i % 5));
      collector.setDatabaseMaxConnections(100);
      history.sample(clock);
      clock += history.options.intervalMs;
    }
    const get = (url: string) =>
      live.handle({ method: 'GET', url, headers: { ...AUTH, 'accept-encoding': 'gzip, deflate, br' } });
    const sizes: Record<string, number> = {};
    for (const url of [
      '/monitoring',
      '/monitoring/assets/live.js',
      '/monitoring/assets/live.css',
      '/monitoring/assets/uPlot.iife.min.js',
      '/monitoring/assets/uPlot.min.css',
      '/monitoring/data',
    ]) {
      const res = await get(url);
      assert.equal(res.status, 200, url);
      assert.equal(res.headers['content-encoding'], 'gzip', url);
      sizes[url] = Buffer.byteLength(res.body);
    }
    const data = JSON.parse(
      gunzipSync((await get('/monitoring/data')).body as Buffer).toString(),
    ) as LiveData;
    assert.equal(data.points.t.length, history.ring.capacity, 'a full hour of points');
    const total = Object.values(sizes).reduce((a, b) => a + b, 0);
    t.diagnostic(`compressed bytes: ${JSON.stringify(sizes)}, total ${total}`);
    assert.ok(total < 150 * 1024, `total ${total} bytes`);
    // Later polls fetch only the newest points.
    clock += history.options.intervalMs;
    history.sample(clock);
    const next = await live.handle({
      method: 'GET',
      url: `/monitoring/data?since=${data.points.lastSampleAt}`,
      headers: AUTH,
    });
    assert.equal((JSON.parse(String(next.body)) as LiveData).points.t.length, 1);
  });
});
