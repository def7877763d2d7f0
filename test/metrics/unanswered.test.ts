// http_requests_unanswered on real node:http, Express and Fastify servers: a handler that never answers
// an aborted request is counted once the threshold passed; aborted requests the handler answers later
// are not (aborting alone cannot raise it); the watch list stays within its cap.
import assert from 'node:assert/strict';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import { loadConfig } from '../../src/config.ts';
import { catalog } from '../../src/metrics/catalog.ts';
import type { Registry } from '../../src/metrics/core/registry.ts';
import { DEFAULTS } from '../../src/metrics/defaults.ts';
import { readExposition } from '../../src/metrics/exposition-reader.ts';
import { HttpMetrics } from '../../src/metrics/http/core.ts';
import { instrumentExpress } from '../../src/metrics/http/express.ts';
import { fastifyMetrics } from '../../src/metrics/http/fastify.ts';
import { instrumentHandler, setRoute } from '../../src/metrics/http/node.ts';
import { createRegistry } from '../../src/metrics/registry.ts';
import { createMetrics } from '../../src/metrics/setup.ts';
import { metricsOptions } from '../../src/service/metrics-options.ts';
import { waitFor } from '../support/wait.ts';

type Adapter = 'node' | 'express' | 'fastify';
const ADAPTERS: Adapter[] = ['node', 'express', 'fastify'];
/** A small threshold, so the tests need not wait the default 30 s. */
const AFTER_MS = 50;

/**
 * An app with `/api/hang` (never answers), `/api/late` (answers when the test releases it) and
 * `/api/stream` (sends its headers, then never ends: a stream, not a stall).
 */
interface TestApp {
  url: string;
  registry: Registry;
  metrics: HttpMetrics;
  /** Handlers of /api/late that started and wait for `release()`. */
  waiting(): number;
  /** Handlers of /api/hang that started. */
  hung(): number;
  /** Lets every waiting /api/late handler answer. */
  release(): void;
  close(): Promise<void>;
}

async function startApp(
  adapter: Adapter,
  {
    maxUnanswered,
    unansweredAfterMs = AFTER_MS,
    env,
  }: {
    maxUnanswered?: number;
    unansweredAfterMs?: number;
    /** Instead of the options: the service's configuration from these variables, through createMetrics. */
    env?: NodeJS.ProcessEnv;
  } = {},
): Promise<TestApp> {
  const fromEnv = env ? createMetrics(metricsOptions(loadConfig(env))) : undefined;
  const registry = fromEnv?.registry ?? createRegistry();
  const metrics = fromEnv?.http ?? new HttpMetrics(registry, { unansweredAfterMs, maxUnanswered });
  let gates: (() => void)[] = [];
  const late = () => new Promise<void>((resolve) => gates.push(resolve));
  let hung = 0;
  const never = () => {
    hung++;
    return new Promise<void>(() => {});
  };
  const common = {
    registry,
    metrics,
    waiting: () => gates.length,
    hung: () => hung,
    release() {
      const open = gates;
      gates = [];
      for (const g of open) g();
    },
  };
  const listen = (server: Server) =>
    new Promise<string>((resolve) =>
      server.listen(0, '127.0.0.1', () =>
        resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
      ),
    );

  if (adapter === 'fastify') {
    const app = Fastify();
    await app.register(fastifyMetrics, { metrics });
    app.get('/api/hang', async () => {
      await never();
    });
    app.get('/api/late', async () => {
      await late();
      return { late: true };
    });
    app.get('/api/stream', (_request, reply) => {
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
      reply.raw.write('data: hello\n\n');
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    return {
      ...common,
      url: `http://127.0.0.1:${port}`,
      close: async () => {
        await app.close();
        fromEnv?.close();
      },
    };
  }

  let server: Server;
  if (adapter === 'express') {
    const app = express();
    instrumentExpress(app, metrics);
    app.get('/api/hang', () => {
      never();
    });
    app.get('/api/late', async (_req, res) => {
      await late();
      res.json({ late: true });
    });
    app.get('/api/stream', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: hello\n\n');
    });
    server = http.createServer(app);
  } else {
    server = http.createServer(
      instrumentHandler(metrics, (req, res) => {
        const path = req.url ?? '';
        setRoute(req, path);
        if (path === '/api/late') {
          late().then(() => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end('{"late":true}');
          });
        } else if (path === '/api/stream') {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write('data: hello\n\n');
        } else never();
      }),
    );
  }
  const url = await listen(server);
  return {
    ...common,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        fromEnv?.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `http_requests_unanswered` by endpoint, as a scrape sees it (the collect hook runs first). */
function scrape(registry: Registry): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of readExposition(registry.expose()).samples) {
    if (s.name === 'askproai_http_requests_unanswered') out.set(`unanswered ${s.labels.endpoint}`, s.value);
  }
  return out;
}

const openSockets: http.ClientRequest[] = [];
/** Sends a request and keeps it open; `abort()` drops the connection. */
function send(url: string): { abort(): void; headers: Promise<void> } {
  const req = http.request(url, { agent: false });
  openSockets.push(req);
  req.on('error', () => {});
  const headers = new Promise<void>((resolve) => req.on('response', () => resolve()));
  req.end();
  return { abort: () => req.destroy(), headers };
}

/**
 * The 499s of `endpoint`, read from the counter itself: no exposition, so no collect hook runs and the
 * watch list is not swept in between.
 */
function aborts(registry: Registry, endpoint: string): number {
  const label = `endpoint=${JSON.stringify(endpoint)}`;
  let n = 0;
  for (const s of registry.counter(catalog.httpRequestsTotal).series.values())
    if (s.labelText.includes(label) && s.labelText.includes('status="499"')) n += s.value;
  return n;
}

/** Aborts `n` requests to `path` once their handlers run; resolves when the server counted the 499s. */
async function abortRequests(app: TestApp, path: string, n: number, started: () => boolean): Promise<void> {
  const before = aborts(app.registry, path);
  const sent = Array.from({ length: n }, () => send(`${app.url}${path}`));
  await waitFor(started, { what: `${n} handlers of ${path} to start`, intervalMs: 5 });
  for (const r of sent) r.abort();
  await waitFor(() => aborts(app.registry, path) === before + n, {
    what: `${n} aborted requests to ${path} to be counted as 499`,
    intervalMs: 5,
  });
}

after(() => {
  for (const r of openSockets) r.destroy();
});

// What the design rests on, in Node itself: after the client's socket is gone, a handler that answers
// still flips `writableEnded` (end) or `headersSent` (writeHead); one that never answers flips neither.
test('node:http: a response answered after the client aborted shows it in writableEnded or headersSent', async () => {
  const closed: http.ServerResponse[] = [];
  const server = http.createServer((_req, res) => res.on('close', () => closed.push(res)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  try {
    let arrived = 0;
    server.on('request', () => arrived++);
    const sent = Array.from({ length: 3 }, () => send(`http://127.0.0.1:${port}/`));
    await waitFor(() => arrived === 3, { what: 'the requests to arrive', intervalMs: 5 });
    for (const r of sent) r.abort();
    await waitFor(() => closed.length === 3, { what: 'the responses to close', intervalMs: 5 });
    const [ended, headed, silent] = closed as [http.ServerResponse, http.ServerResponse, http.ServerResponse];
    for (const res of closed) {
      assert.equal(res.writableFinished, false);
      assert.equal(res.headersSent, false);
      assert.equal(res.writableEnded, false);
    }
    ended.setHeader('content-type', 'text/plain');
    ended.end('late');
    headed.writeHead(200);
    assert.deepEqual([ended.writableEnded, ended.headersSent], [true, false], 'end() on a dead socket');
    assert.deepEqual(
      [headed.writableEnded, headed.headersSent],
      [false, true],
      'writeHead() on a dead socket',
    );
    assert.deepEqual([silent.writableEnded, silent.headersSent], [false, false]);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** Lets every waiting /api/late handler answer, and waits until they all did. */
async function answerLate(app: TestApp): Promise<void> {
  app.release();
  await waitFor(() => app.waiting() === 0, { what: 'the late handlers to run', intervalMs: 5 });
}

/** Scrapes until `endpoint` counts `n` unanswered requests; that scrape's readings. */
function untilUnanswered(
  app: TestApp,
  endpoint: string,
  n: number,
  what: string,
): Promise<Map<string, number>> {
  return waitFor(
    () => {
      const s = scrape(app.registry);
      return s.get(`unanswered ${endpoint}`) === n && s;
    },
    { what, intervalMs: 10 },
  );
}

describe('http_requests_unanswered', () => {
  for (const adapter of ADAPTERS) {
    test(`${adapter}: a handler that never answers an aborted request counts once the threshold passed; answered ones never do`, async () => {
      const app = await startApp(adapter);
      try {
        // Aborted requests the handler answers after the abort: watched, then dropped once answered.
        await abortRequests(app, '/api/late', 3, () => app.waiting() === 3);
        assert.equal(app.metrics.unanswered.size, 3);
        await answerLate(app);
        // A stalled handler: the request is aborted after the late ones, so once it counts, their
        // threshold has passed as well.
        await abortRequests(app, '/api/hang', 1, () => app.hung() === 1);
        const seen = await untilUnanswered(app, '/api/hang', 1, 'the stalled request to count as unanswered');
        assert.equal(seen.get('unanswered /api/late'), undefined, 'answered after the abort: never counted');
        assert.equal(app.metrics.unanswered.size, 1, 'the answered requests left the list');
        // A handler that answers only after it was counted: back to 0 at the next scrape.
        await abortRequests(app, '/api/late', 1, () => app.waiting() === 1);
        await untilUnanswered(app, '/api/late', 1, 'the slow request to count as unanswered');
        await answerLate(app);
        const now = scrape(app.registry);
        assert.equal(now.get('unanswered /api/late'), 0);
        assert.equal(now.get('unanswered /api/hang'), 1);
      } finally {
        await app.close();
      }
    });

    test(`${adapter}: many aborted requests to a handler that answers, or to a stream that sent its headers, count nothing`, async () => {
      const app = await startApp(adapter);
      try {
        await abortRequests(app, '/api/late', 200, () => app.waiting() === 200);
        await answerLate(app);
        const stream = send(`${app.url}/api/stream`);
        await stream.headers;
        stream.abort();
        await waitFor(() => aborts(app.registry, '/api/stream') === 1, {
          what: 'the aborted stream to be counted as 499',
          intervalMs: 5,
        });
        // The late requests answered are still listed (no scrape yet); the stream that had sent its
        // headers is not added at all.
        assert.equal(app.metrics.unanswered.size, 200);
        // A marker past the threshold: once the stalled request counts, the others had their time.
        await abortRequests(app, '/api/hang', 1, () => app.hung() === 1);
        const seen = await untilUnanswered(app, '/api/hang', 1, 'the marker request to count');
        assert.equal(seen.get('unanswered /api/late'), undefined);
        assert.equal(seen.get('unanswered /api/stream'), undefined);
        assert.equal(app.metrics.unanswered.size, 1);
      } finally {
        await app.close();
      }
    });

    test(`${adapter}: the watch list holds its cap; answered requests make room, stalled ones are not pushed out`, async () => {
      const app = await startApp(adapter, { maxUnanswered: 3 });
      try {
        // Full of answered requests: they are dropped to make room for the stalled one.
        await abortRequests(app, '/api/late', 3, () => app.waiting() === 3);
        await answerLate(app);
        await abortRequests(app, '/api/hang', 5, () => app.hung() === 5);
        assert.equal(app.metrics.unanswered.size, 3, 'the cap holds');
        // Full of stalled requests: later aborts are not watched, the stalled ones stay counted.
        await abortRequests(app, '/api/late', 2, () => app.waiting() === 2);
        assert.equal(app.metrics.unanswered.size, 3);
        await untilUnanswered(app, '/api/hang', 3, 'the stalled requests to count');
        app.release();
      } finally {
        await app.close();
      }
    });
  }

  test('a stalled request does not count before the threshold (default 30 s)', async () => {
    const app = await startApp('node', { unansweredAfterMs: DEFAULTS.httpUnansweredAfterMs });
    try {
      await abortRequests(app, '/api/hang', 1, () => app.hung() === 1);
      assert.equal(scrape(app.registry).get('unanswered /api/hang'), undefined);
      assert.equal(app.metrics.unanswered.size, 1);
    } finally {
      await app.close();
    }
  });

  test('METRICS_UNANSWERED_AFTER_MS and METRICS_MAX_UNANSWERED reach the adapters through createMetrics', async () => {
    const app = await startApp('node', {
      env: {
        METRICS_AUTH_TOKEN: 'unanswered-token-4f1c9a7e2b3d4c5e6f708192a3b4',
        METRICS_UNANSWERED_AFTER_MS: '1000',
        METRICS_MAX_UNANSWERED: '2',
      },
    });
    try {
      await abortRequests(app, '/api/hang', 3, () => app.hung() === 3);
      assert.equal(app.metrics.unanswered.size, 2, 'the cap from METRICS_MAX_UNANSWERED');
      // With the default threshold (30 s) they would not count for half a minute.
      await untilUnanswered(app, '/api/hang', 2, 'the stalled requests to count after 1 s');
    } finally {
      await app.close();
    }
  });

  test('the service refuses an unanswered threshold or cap out of range', () => {
    assert.throws(() => loadConfig({ METRICS_UNANSWERED_AFTER_MS: '10' }), /METRICS_UNANSWERED_AFTER_MS/);
    assert.throws(() => loadConfig({ METRICS_MAX_UNANSWERED: '0' }), /METRICS_MAX_UNANSWERED/);
    assert.equal(loadConfig({}).metrics.unansweredAfterMs, DEFAULTS.httpUnansweredAfterMs);
    assert.equal(loadConfig({}).metrics.maxUnanswered, DEFAULTS.httpMaxUnanswered);
  });

  test('HttpMetrics of one registry share one list and one gauge', () => {
    const registry = createRegistry();
    const a = new HttpMetrics(registry);
    const b = new HttpMetrics(registry, { maxUnanswered: 1 });
    assert.equal(a.unanswered, b.unanswered);
  });
});
