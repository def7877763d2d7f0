/**
 * node:http adapter. Wrap the request listener; the app's router names the matched template with
 * `setRoute(req, '/api/bookings/:id')` (requests it never names are `unmatched`).
 *
 * ```ts
 * const server = http.createServer(instrumentHandler(httpMetrics, (req, res) => { ... }));
 * ```
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { EndpointRequest, MetricsEndpoint } from '../endpoint.ts';
import type { HttpMetrics } from './core.ts';

const routes = new WeakMap<IncomingMessage, string>();

/** Names the route template that matched `req`. */
export function setRoute(req: IncomingMessage, template: string): void {
  routes.set(req, template);
}

export function instrumentHandler<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
>(metrics: HttpMetrics, handler: (req: Req, res: Res) => void): (req: Req, res: Res) => void {
  if (!metrics.enabled) return handler;
  return function askproaiInstrumentedHandler(req, res) {
    const start = performance.now();
    res.on('close', function askproaiRecordRequest() {
      const template = routes.get(req);
      const finished = res.writableFinished;
      if (!finished && !metrics.recordAborted) return;
      const handle =
        template !== undefined
          ? metrics.route(template)
          : metrics.isExcludedPath(req.url ?? '')
            ? null
            : metrics.unmatched();
      if (handle === null) return;
      if (finished) handle.record(req.method ?? '', res.statusCode, (performance.now() - start) / 1000);
      else handle.recordAborted(req.method ?? '');
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
        res.end(r.body);
      },
      () => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('Metrics unavailable\n');
      },
    );
  };
}
