/**
 * The Express 5 benchmark app of each variant. Variants: `baseline` (no metrics), `ours`
 * (instrumentExpress, as documented), `ours-middleware` (the same recording as an `app.use()` layer:
 * expressMetrics), `bundle` (express-prom-bundle 8 with method, path and status labels and the same
 * buckets), `prom-client` (a hand-written prom-client middleware with the same labels as ours).
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import promBundle from 'express-prom-bundle';
import client from 'prom-client';
import { HttpMetrics } from '../../src/metrics/http/core.ts';
import { expressMetrics, instrumentExpress } from '../../src/metrics/http/express.ts';
import { createRegistry } from '../../src/metrics/registry.ts';
import { BUCKETS, booking, calls, promClientRequestMetrics, STATS_PATH, UNMATCHED } from './shared.ts';

export const EXPRESS_VARIANTS = ['baseline', 'ours', 'ours-middleware', 'bundle', 'prom-client'] as const;
export type ExpressVariant = (typeof EXPRESS_VARIANTS)[number];

/** The benchmark app of one variant and a function returning what it recorded. */
export function buildExpress(
  variant: ExpressVariant,
  promRegistry: client.Registry = client.register,
): {
  app: express.Express;
  stats: () => string | Promise<string>;
} {
  const app = express();
  let stats: () => string | Promise<string> = () => '';

  if (variant === 'ours') {
    const registry = createRegistry();
    instrumentExpress(app, new HttpMetrics(registry));
    stats = () => registry.expose('text');
  } else if (variant === 'ours-middleware') {
    const registry = createRegistry();
    app.use(expressMetrics(new HttpMetrics(registry)));
    stats = () => registry.expose('text');
  } else if (variant === 'bundle') {
    app.use(
      promBundle({
        includeMethod: true,
        includePath: true,
        includeStatusCode: true,
        buckets: BUCKETS,
        autoregister: false,
        promRegistry,
      }),
    );
    stats = () => promRegistry.metrics();
  } else if (variant === 'prom-client') {
    const { requests, duration } = promClientRequestMetrics(promRegistry);
    app.use(function promClientMetrics(req: Request, res: Response, next: NextFunction) {
      const start = performance.now();
      res.on('finish', () => {
        const labels = {
          method: req.method,
          endpoint: req.route ? req.baseUrl + req.route.path : UNMATCHED,
          status: res.statusCode,
        };
        requests.inc(labels);
        duration.observe(labels, (performance.now() - start) / 1000);
      });
      next();
    });
    stats = () => promRegistry.metrics();
  }

  app.get('/api/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/api/bookings/:id', (req, res) => {
    res.json(booking(req.params.id));
  });
  app.get('/api/companies/:companyId/calls', (req, res) => {
    res.json(calls(req.params.companyId));
  });
  app.get(STATS_PATH, async (_req, res) => {
    res.type('text/plain').send(await stats());
  });
  return { app, stats };
}
