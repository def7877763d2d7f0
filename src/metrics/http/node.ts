/**
 * node:http adapter. Wrap the request listener; the app's router names the matched template with
 * `setRoute(req, '/api/bookings/:id')` (requests it never names are `unmatched`).
 *
 * ```ts
 * const server = http.createServer(instrumentHandler(httpMetrics, (req, res) => { ... }));
 * ```
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { type EndpointRequest, type MetricsEndpoint, sendBody } from '../endpoint.ts';
import type { HttpMetrics } from './core.ts';

/**
 * The matched template, kept on the request under a symbol of this module: set and read, a property
 * costs under 15 ns per request where a WeakMap entry cost about 180 ns (with the collector's work).
 */
const ROUTE = Symbol('askproai.route');
type Routed = IncomingMessage & { [ROUTE]?: string };

/** Names the route template that matched `req`. */
export function setRoute(req: IncomingMessage, template: string): void {
  (req as Routed)[ROUTE] = template;
}

export function instrumentHandler<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
>(metrics: HttpMetrics, handler: (req: Req, res: Res) => void): (req: Req, res: Res) => void {
  if (!metrics.enabled) return handler;
  const traceId = metrics.traceId;
  return function askproaiInstrumentedHandler(req, res) {
    const start = performance.now();
    // Read while the request's span is active (tracing on); the untraced path never looks.
    const trace = traceId === undefined ? undefined : traceId();
    res.on('close', function askproaiRecordRequest() {
      const template = (req as Routed)[ROUTE];
      const finished = res.writableFinished;
      const handle =
        template !== undefined
          ? metrics.route(template)
          : metrics.isExcludedPath(req.url ?? '')
            ? null
            : metrics.unmatched();
      if (handle === null) return;
      const seconds = (performance.now() - start) / 1000;
      if (!finished) metrics.aborted(handle, req.method ?? '', res);
      else if (traceId === undefined) handle.record(req.method ?? '', res.statusCode, seconds);
      else handle.recordTraced(req.method ?? '', res.statusCode, seconds, trace);
    });
    handler(req, res);
  };
}

/** Serves a metrics endpoint as a node:http listener (mount it on the metrics path). */
export function nodeMetricsHandler(endpoint: MetricsEndpoint): RequestListener {
  return function askproaiMetricsHandler(req, res) {
    endpoint(req as EndpointRequest).then(
      (r) => {
        res.writeHead(r.status, r.headers);
        sendBody(res, r.body);
      },
      () => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('Metrics unavailable\n');
      },
    );
  };
}
