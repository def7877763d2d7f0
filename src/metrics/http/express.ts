/**
 * Express 5 adapter: `app.use(expressMetrics(httpMetrics))` before the routes, and
 * `app.get('/api/metrics', expressMetricsEndpoint(endpoint))`.
 *
 * The template is Express's matched route (`req.baseUrl + req.route.path`), read when the response
 * closes; requests no route matched are `unmatched`. Handles are cached per route object and mount
 * point, so a request builds no template string.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { MetricsEndpoint } from '../endpoint.ts';
import type { HttpMetrics, RouteMetrics } from './core.ts';

export function expressMetrics(metrics: HttpMetrics): RequestHandler {
  if (!metrics.enabled) {
    return function askproaiHttpMetricsDisabled(_req: Request, _res: Response, next: NextFunction) {
      next();
    };
  }
  const byRoute = new WeakMap<object, Map<string, RouteMetrics | null>>();
  const routeHandle = (route: { path: unknown }, baseUrl: string): RouteMetrics | null => {
    let byBase = byRoute.get(route);
    if (byBase === undefined) {
      byBase = new Map();
      byRoute.set(route, byBase);
    }
    let handle = byBase.get(baseUrl);
    if (handle === undefined) {
      handle = metrics.route(baseUrl + String(route.path));
      // Mount points come from the app's code; the bound only guards against a misbehaving router.
      if (byBase.size < 64) byBase.set(baseUrl, handle);
    }
    return handle;
  };

  const handleOf = (req: Request): RouteMetrics | null => {
    const route = req.route as { path: unknown } | undefined;
    if (route !== undefined) return routeHandle(route, req.baseUrl);
    return metrics.isExcludedPath(req.originalUrl) ? null : metrics.unmatched();
  };

  const traceId = metrics.traceId;
  if (traceId === undefined) {
    return function askproaiHttpMetrics(req: Request, res: Response, next: NextFunction) {
      const start = performance.now();
      res.on('close', function askproaiRecordRequest() {
        const finished = res.writableFinished;
        if (!finished && !metrics.recordAborted) return;
        const handle = handleOf(req);
        if (handle === null) return;
        if (finished) handle.record(req.method, res.statusCode, (performance.now() - start) / 1000);
        else handle.recordAborted(req.method);
      });
      next();
    };
  }
  // Tracing on: the trace id is read while the request's span is active, and kept as an exemplar.
  return function askproaiTracedHttpMetrics(req: Request, res: Response, next: NextFunction) {
    const start = performance.now();
    const trace = traceId();
    res.on('close', function askproaiRecordRequest() {
      const finished = res.writableFinished;
      if (!finished && !metrics.recordAborted) return;
      const handle = handleOf(req);
      if (handle === null) return;
      if (finished)
        handle.recordTraced(req.method, res.statusCode, (performance.now() - start) / 1000, trace);
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
