/**
 * Fastify 5 adapter: `await app.register(fastifyMetrics, { metrics: httpMetrics })` before the
 * routes, and `app.get('/api/metrics', fastifyMetricsEndpoint(endpoint))`.
 *
 * Each route gets its own `onResponse` hook bound to its template's handle when it is registered
 * (`onRoute`), so a request does no lookup by URL or template at all; one global hook handles the
 * requests that matched no route. Durations come from Fastify's own monotonic `reply.elapsedTime`.
 */
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  onRequestAbortHookHandler,
  onResponseHookHandler,
  RouteHandlerMethod,
  RouteOptions,
} from 'fastify';
import type { MetricsEndpoint } from '../endpoint.ts';
import type { HttpMetrics, RouteMetrics } from './core.ts';

export interface FastifyMetricsOptions {
  metrics: HttpMetrics;
}

type HookList<T> = T | T[] | undefined;
function append<T>(list: HookList<T>, hook: T): T[] {
  return list === undefined ? [hook] : Array.isArray(list) ? [...list, hook] : [list, hook];
}

function routeHooks(
  handle: RouteMetrics,
  recordAborted: boolean,
  traceId: (() => string | undefined) | undefined,
) {
  const aborted = new WeakSet<FastifyRequest>();
  const onResponse: onResponseHookHandler =
    traceId === undefined
      ? function askproaiRecordRequest(request, reply, done) {
          if (!recordAborted || !aborted.has(request))
            handle.record(request.method, reply.statusCode, reply.elapsedTime / 1000);
          done();
        }
      : // Tracing on: the request's span is still the active one in its onResponse hooks.
        function askproaiRecordTracedRequest(request, reply, done) {
          if (!recordAborted || !aborted.has(request))
            handle.recordTraced(request.method, reply.statusCode, reply.elapsedTime / 1000, traceId());
          done();
        };
  const onRequestAbort: onRequestAbortHookHandler = function askproaiRecordAbort(request, done) {
    aborted.add(request);
    handle.recordAborted(request.method);
    done();
  };
  return { onResponse, onRequestAbort };
}

async function plugin(app: FastifyInstance, options: FastifyMetricsOptions): Promise<void> {
  const metrics = options.metrics;
  if (!metrics.enabled) return;
  const traceId = metrics.traceId;
  app.addHook('onRoute', (route: RouteOptions) => {
    const handle = metrics.route(route.url);
    if (handle === null) return;
    const hooks = routeHooks(handle, metrics.recordAborted, metrics.traceId);
    route.onResponse = append(route.onResponse as HookList<onResponseHookHandler>, hooks.onResponse);
    if (metrics.recordAborted) {
      route.onRequestAbort = append(
        route.onRequestAbort as HookList<onRequestAbortHookHandler>,
        hooks.onRequestAbort,
      );
    }
  });
  app.addHook(
    'onResponse',
    function askproaiRecordUnmatched(
      request: FastifyRequest,
      reply: FastifyReply,
      done: HookHandlerDoneFunction,
    ) {
      if (request.is404 && !metrics.isExcludedPath(request.url)) {
        const seconds = reply.elapsedTime / 1000;
        if (traceId === undefined) metrics.unmatched().record(request.method, reply.statusCode, seconds);
        else metrics.unmatched().recordTraced(request.method, reply.statusCode, seconds, traceId());
      }
      done();
    },
  );
}
// Like fastify-plugin: the hooks must apply to the routes of the whole app, not an encapsulated child.
(plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;

export const fastifyMetrics = plugin;

export function fastifyMetricsEndpoint(endpoint: MetricsEndpoint): RouteHandlerMethod {
  return async function askproaiMetricsEndpoint(request, reply) {
    const r = await endpoint(request);
    reply.code(r.status).headers(r.headers);
    return reply.send(r.body);
  };
}
