/**
 * The node:http benchmark listener of each variant: a small router over the same routes as the
 * Express and Fastify apps. Variants: `baseline` (no metrics), `ours` (instrumentHandler with
 * setRoute), `prom-client` (a hand-written wrapper with the same labels as ours).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import client from 'prom-client';
import { HttpMetrics } from '../../src/metrics/http/core.ts';
import { instrumentHandler, setRoute } from '../../src/metrics/http/node.ts';
import { createRegistry } from '../../src/metrics/registry.ts';
import { booking, calls, promClientRequestMetrics, UNMATCHED } from './shared.ts';

export const NODE_VARIANTS = ['baseline', 'ours', 'prom-client'] as const;
export type NodeVariant = (typeof NODE_VARIANTS)[number];
type Listener = (req: IncomingMessage, res: ServerResponse) => void;

const BOOKING = /^\/api\/bookings\/([^/?]{1,64})$/;
const CALLS = /^\/api\/companies\/([^/?]{1,64})\/calls$/;

/** The app's router; `named` is told the template of the route that matched. */
function router(named: (req: IncomingMessage, template: string) => void): Listener {
  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': text.length,
    });
    res.end(text);
  };
  return (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const booked = BOOKING.exec(path);
    const called = booked === null ? CALLS.exec(path) : null;
    if (path === '/api/health') {
      named(req, '/api/health');
      json(res, 200, { status: 'ok' });
    } else if (booked !== null) {
      named(req, '/api/bookings/:id');
      json(res, 200, booking(booked[1]!));
    } else if (called !== null) {
      named(req, '/api/companies/:companyId/calls');
      json(res, 200, calls(called[1]!));
    } else json(res, 404, { error: 'not found' });
  };
}

const routeOf = new WeakMap<IncomingMessage, string>();

/** The listener of one variant and a function returning what it recorded. */
export function buildNode(
  variant: NodeVariant,
  promRegistry: client.Registry = client.register,
): { listener: Listener; stats: () => string | Promise<string> } {
  if (variant === 'ours') {
    const registry = createRegistry();
    const listener = instrumentHandler(new HttpMetrics(registry), router(setRoute));
    return { listener, stats: () => registry.expose('text') };
  }
  if (variant === 'prom-client') {
    const { requests, duration } = promClientRequestMetrics(promRegistry);
    const inner = router((req, template) => routeOf.set(req, template));
    const listener: Listener = (req, res) => {
      const start = performance.now();
      res.on('finish', () => {
        const labels = {
          method: req.method ?? '',
          endpoint: routeOf.get(req) ?? UNMATCHED,
          status: res.statusCode,
        };
        requests.inc(labels);
        duration.observe(labels, (performance.now() - start) / 1000);
      });
      inner(req, res);
    };
    return { listener, stats: () => promRegistry.metrics() };
  }
  return { listener: router(() => {}), stats: () => '' };
}
