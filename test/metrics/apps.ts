/**
 * The same small API mounted on Express, Fastify and node:http with our middleware, for tests that
 * compare adapters and drive real sockets.
 */
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import type { Registry } from '../../src/metrics/core/registry.ts';
import { createMetricsEndpoint } from '../../src/metrics/endpoint.ts';
import { HttpMetrics } from '../../src/metrics/http/core.ts';
import { expressMetrics, expressMetricsEndpoint, instrumentExpress } from '../../src/metrics/http/express.ts';
import { fastifyMetrics, fastifyMetricsEndpoint } from '../../src/metrics/http/fastify.ts';
import { instrumentHandler, nodeMetricsHandler, setRoute } from '../../src/metrics/http/node.ts';
import { createRegistry } from '../../src/metrics/registry.ts';

export const TOKEN = 'test-token-0123456789abcdef0123456789';
/** `express` is instrumented as documented (instrumentExpress); `express-middleware` with app.use(). */
export type Adapter = 'express' | 'express-middleware' | 'fastify' | 'node';

export interface RunningApp {
  url: string;
  registry: Registry;
  /** The format of every exposition served, in order. */
  formats: string[];
  close(): Promise<void>;
}

const SLOW_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
  });
}

export async function startApp(
  adapter: Adapter,
  options: { enabled?: boolean; traceId?: () => string | undefined } = {},
): Promise<RunningApp> {
  const registry = createRegistry();
  const metrics = new HttpMetrics(registry, { enabled: options.enabled, traceId: options.traceId });
  const formats: string[] = [];
  const endpoint = createMetricsEndpoint({
    registry,
    tokens: [TOKEN],
    render: (format) => {
      formats.push(format);
      return registry.expose(format);
    },
  });

  if (adapter === 'express' || adapter === 'express-middleware') {
    const app = express();
    if (adapter === 'express') instrumentExpress(app, metrics);
    else app.use(expressMetrics(metrics));
    app.get('/api/metrics', expressMetricsEndpoint(endpoint));
    app.get('/api/health', (_req, res) => {
      res.json({ status: 'ok' });
    });
    app.get('/api/bookings/:id', (req, res) => {
      res.json({ id: req.params.id });
    });
    app.post('/api/bookings', (_req, res) => {
      res.status(201).json({ created: true });
    });
    app.get('/api/fail', () => {
      throw new Error('fails on purpose');
    });
    app.get('/api/slow', async (_req, res) => {
      await sleep(SLOW_MS);
      res.json({ slow: true });
    });
    app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).json({ error: err.message });
    });
    const server = http.createServer(app);
    const url = await listen(server);
    return { url, registry, formats, close: () => new Promise((r) => server.close(() => r())) };
  }

  if (adapter === 'fastify') {
    const app = Fastify();
    await app.register(fastifyMetrics, { metrics });
    app.get('/api/metrics', fastifyMetricsEndpoint(endpoint));
    app.get('/api/health', async () => ({ status: 'ok' }));
    app.get<{ Params: { id: string } }>('/api/bookings/:id', async (req) => ({ id: req.params.id }));
    app.post('/api/bookings', async (_req, reply) => reply.code(201).send({ created: true }));
    app.get('/api/fail', async () => {
      throw new Error('fails on purpose');
    });
    app.get('/api/slow', async () => {
      await sleep(SLOW_MS);
      return { slow: true };
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url, registry, formats, close: () => app.close() };
  }

  // node:http with a hand-rolled router, as an app without a framework would have.
  const metricsHandler = nodeMetricsHandler(endpoint);
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer(
    instrumentHandler(metrics, (req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      const method = req.method ?? 'GET';
      if (method === 'GET' && path === '/api/metrics') {
        setRoute(req, '/api/metrics');
        return metricsHandler(req, res);
      }
      if (method === 'GET' && path === '/api/health') {
        setRoute(req, '/api/health');
        return json(res, 200, { status: 'ok' });
      }
      const m = /^\/api\/bookings\/([^/]+)$/.exec(path);
      if (method === 'GET' && m) {
        setRoute(req, '/api/bookings/:id');
        return json(res, 200, { id: m[1] });
      }
      if (method === 'POST' && path === '/api/bookings') {
        setRoute(req, '/api/bookings');
        req.resume();
        req.on('end', () => json(res, 201, { created: true }));
        return;
      }
      if (method === 'GET' && path === '/api/fail') {
        setRoute(req, '/api/fail');
        return json(res, 500, { error: 'fails on purpose' });
      }
      if (method === 'GET' && path === '/api/slow') {
        setRoute(req, '/api/slow');
        sleep(SLOW_MS).then(() => {
          if (!res.destroyed) json(res, 200, { slow: true });
        });
        return;
      }
      json(res, 404, { error: 'not found' });
    }),
  );
  const url = await listen(server);
  return { url, registry, formats, close: () => new Promise((r) => server.close(() => r())) };
}
