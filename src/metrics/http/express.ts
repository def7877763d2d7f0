/**
 * Express 5 adapter:
 *
 * ```ts
 * const app = express();
 * instrumentExpress(app, httpMetrics);   // every request, observed where Express receives it
 * app.get('/api/metrics', expressMetricsEndpoint(endpoint));
 * ```
 *
 * `instrumentExpress` observes each request as the app receives it, before its router runs, so a
 * request costs one `close` listener and no middleware layer of its own (Express's router walks
 * every `app.use()` layer with path matching and a `next()` call, which costs more than recording).
 * `app.use(expressMetrics(httpMetrics))` before the routes records the same series, at the cost of
 * that layer; an app instrumented both ways counts each request once.
 *
 * The template is Express's matched route (`req.baseUrl + req.route.path`), read when the response
 * closes; requests no route matched are `unmatched`. Handles are cached per route object and mount
 * point, so a request builds no template string. A response that closes before it finished (the
 * client went away) counts as 499, and is watched for `http_requests_unanswered` if no header was sent.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Application, NextFunction, Request, RequestHandler, Response } from 'express';
import { type MetricsEndpoint, sendBody } from '../endpoint.ts';
import type { HttpMetrics, RouteMetrics } from './core.ts';

/** What Express leaves on a request once its router matched a route. */
interface RoutedRequest extends IncomingMessage {
  route?: { path: unknown };
  baseUrl?: string;
  originalUrl?: string;
}

/** Express's request entry point on an app (`app(req, res)` calls it; untyped in @types/express). */
interface Handling {
  handle(req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): unknown;
  [INSTRUMENTED]?: HttpMetrics;
}

/** Set on an instrumented app, so a middleware of the same metrics on it stands aside. */
const INSTRUMENTED = Symbol.for('askproai.metrics.express.instrumented');

/** Starts observing one request: `(req, res)` at the moment Express receives it. */
type Observe = (req: RoutedRequest, res: ServerResponse) => void;

function observer(metrics: HttpMetrics): Observe {
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
  const handleOf = (req: RoutedRequest): RouteMetrics | null => {
    const route = req.route;
    if (route !== undefined) return routeHandle(route, req.baseUrl ?? '');
    return metrics.isExcludedPath(req.originalUrl ?? req.url ?? '') ? null : metrics.unmatched();
  };

  const traceId = metrics.traceId;
  if (traceId === undefined) {
    return function askproaiObserveRequest(req, res) {
      const start = performance.now();
      res.on('close', function askproaiRecordRequest() {
        const finished = res.writableFinished;
        const handle = handleOf(req);
        if (handle === null) return;
        if (finished) handle.record(req.method!, res.statusCode, (performance.now() - start) / 1000);
        else metrics.aborted(handle, req.method!, res);
      });
    };
  }
  // Tracing on: the trace id is read while the request's span is active, and kept as an exemplar.
  return function askproaiObserveTracedRequest(req, res) {
    const start = performance.now();
    const trace = traceId();
    res.on('close', function askproaiRecordRequest() {
      const finished = res.writableFinished;
      const handle = handleOf(req);
      if (handle === null) return;
      if (finished)
        handle.recordTraced(req.method!, res.statusCode, (performance.now() - start) / 1000, trace);
      else metrics.aborted(handle, req.method!, res);
    });
  };
}

/**
 * Records every request `app` handles (its mounted routers and sub-apps included) by wrapping the
 * app's request entry point, so no middleware layer runs per request. Call it once, before the app
 * serves; with metrics disabled it changes nothing.
 */
export function instrumentExpress(app: Application, metrics: HttpMetrics): void {
  if (!metrics.enabled) return;
  const target = app as unknown as Handling;
  if (typeof target.handle !== 'function') throw new TypeError('instrumentExpress needs an Express app');
  if (target[INSTRUMENTED] !== undefined) return;
  const observe = observer(metrics);
  const handle = target.handle;
  target[INSTRUMENTED] = metrics;
  target.handle = function askproaiInstrumentedHandle(this: unknown, req, res, next) {
    observe(req, res);
    return handle.call(this, req, res, next);
  };
}

/** True when `app` or an app it is mounted on records its requests with `metrics` already. */
function instrumentedWith(app: unknown, metrics: HttpMetrics): boolean {
  type Mounted = { [INSTRUMENTED]?: HttpMetrics; parent?: Mounted };
  for (let a = app as Mounted | undefined; a !== undefined; a = a.parent)
    if (a[INSTRUMENTED] === metrics) return true;
  return false;
}

/**
 * The same recording as a middleware: `app.use(expressMetrics(httpMetrics))` before the routes.
 * `instrumentExpress` is cheaper (no router layer per request).
 */
export function expressMetrics(metrics: HttpMetrics): RequestHandler {
  if (!metrics.enabled) {
    return function askproaiHttpMetricsDisabled(_req: Request, _res: Response, next: NextFunction) {
      next();
    };
  }
  const observe = observer(metrics);
  return function askproaiHttpMetrics(req: Request, res: Response, next: NextFunction) {
    if (!instrumentedWith(req.app, metrics)) observe(req as unknown as RoutedRequest, res);
    next();
  };
}

export function expressMetricsEndpoint(endpoint: MetricsEndpoint): RequestHandler {
  return function askproaiMetricsEndpoint(req: Request, res: Response, next: NextFunction) {
    endpoint(req).then((r) => {
      sendBody(res.status(r.status).set(r.headers), r.body);
    }, next);
  };
}
