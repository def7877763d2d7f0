/**
 * Express 5 adapter: `app.use(expressMetrics(httpMetrics))` before the routes, and
 * `app.get('/api/metrics', expressMetricsEndpoint(endpoint))`.
 *
 * The template is Express's matched route (`req.baseUrl + req.route.path`), read when the response
 * closes; requests no route matched are `unmatched`.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { MetricsEndpoint } from '../endpoint.ts';
import type { HttpMetrics, RouteMetrics } from './core.ts';

function templateOf(req: Request): string | undefined {
  const path = req.route?.path;
  if (path === undefined) return undefined;
  return req.baseUrl + (typeof path === 'string' ? path : String(path));
}

export function expressMetrics(metrics: HttpMetrics): RequestHandler {
  return function askproaiHttpMetrics(req: Request, res: Response, next: NextFunction) {
    const start = performance.now();
    res.on('close', function askproaiRecordRequest() {
      const finished = res.writableFinished;
      if (!finished && !metrics.recordAborted) return;
      const template = templateOf(req);
      let handle: RouteMetrics | null;
      if (template !== undefined) handle = metrics.route(template);
      else handle = metrics.isExcludedPath(req.originalUrl) ? null : metrics.unmatched();
      if (handle === null) return;
      if (finished) handle.record(req.method, res.statusCode, (performance.now() - start) / 1000);
      else handle.recordAborted(req.method);
    });
    next();
  };
}

export function expressMetricsEndpoint(endpoint: MetricsEndpoint): RequestHandler {
  return function askproaiMetricsEndpoint(req: Request, res: Response, next: NextFunction) {
    endpoint(req).then((r) => {
      res.status(r.status).set(r.headers).end(r.body);
    }, next);
  };
}
