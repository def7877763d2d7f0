/**
 * Fastify 5 adapter: `await app.register(fastifyMetrics, { metrics: httpMetrics })` before the
 * routes and before plugins whose `onRequest` hooks may answer a request themselves (a global rate
 * limit, an authentication check): a request answered by an earlier hook never reaches ours.
 *
 * A request costs one `onRequest` hook and one `close` listener on the response, and nothing else:
 * no `onResponse` hook (any such hook makes Fastify put two listeners of its own on every response)
 * and no `onRequestAbort` hook (a listener on every request). The `close` listener sees finished and
 * aborted responses alike, so a request the client aborted counts as 499, as on Express and node:http
 * (and is watched for `http_requests_unanswered` if no header was sent).
 * Each route's handle is bound to its config when the route is registered (`onRoute`), so a request
 * does no lookup by template; requests that matched no route are `unmatched`. Durations come from
 * Fastify's own monotonic `reply.elapsedTime`.
 */

import { Readable } from 'node:stream';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  RouteHandlerMethod,
  RouteOptions,
} from 'fastify';
import { isStreamed, type MetricsEndpoint, sendBody } from '../endpoint.ts';
import type { HttpMetrics, RouteMetrics } from './core.ts';

export interface FastifyMetricsOptions {
  metrics: HttpMetrics;
}

/** The route's handle, kept in its config (Fastify copies a route's config into its context). */
const HANDLE = Symbol('askproai.metrics.route');
interface RouteConfig {
  url?: string;
  [HANDLE]?: RouteMetrics | null;
}

/**
 * Reads the config of the route a request matched. Fastify's public `request.routeOptions` builds a
 * new object on every read; its request keeps the route context under a symbol, found once by name.
 */
function routeConfigReader(): (request: FastifyRequest) => RouteConfig | undefined {
  let key: symbol | null | undefined;
  const viaOptions = (request: FastifyRequest) => request.routeOptions.config as RouteConfig | undefined;
  return (request) => {
    if (key === undefined)
      key = Object.getOwnPropertySymbols(request).find((s) => s.description === 'fastify.context') ?? null;
    if (key === null) return viaOptions(request);
    const context = (request as unknown as Record<symbol, { config?: RouteConfig } | undefined>)[key];
    return context?.config ?? viaOptions(request);
  };
}

async function plugin(app: FastifyInstance, options: FastifyMetricsOptions): Promise<void> {
  const metrics = options.metrics;
  if (!metrics.enabled) return;
  const traceId = metrics.traceId;
  const configOf = routeConfigReader();

  app.addHook('onRoute', (route: RouteOptions) => {
    route.config = {
      ...(route.config as object),
      [HANDLE]: metrics.route(route.url),
    } as RouteOptions['config'];
  });

  /** The handle a request records into, or null when its route (or unmatched path) is excluded. */
  const handleOf = (request: FastifyRequest): RouteMetrics | null => {
    const config = configOf(request);
    const bound = config?.[HANDLE];
    if (bound !== undefined) return bound;
    // A route registered before this plugin, or no route at all (Fastify's not-found handler).
    if (config?.url !== undefined) return metrics.route(config.url);
    return metrics.isExcludedPath(request.url) ? null : metrics.unmatched();
  };

  if (traceId === undefined) {
    app.addHook(
      'onRequest',
      function askproaiObserveRequest(
        request: FastifyRequest,
        reply: FastifyReply,
        done: HookHandlerDoneFunction,
      ) {
        const res = reply.raw;
        res.on('close', function askproaiRecordRequest() {
          const finished = res.writableFinished;
          const handle = handleOf(request);
          if (handle === null) return;
          if (finished) handle.record(request.method, res.statusCode, reply.elapsedTime / 1000);
          else metrics.aborted(handle, request.method, res);
        });
        done();
      },
    );
    return;
  }
  // Tracing on: the trace id is read while the request's span is active, and kept as an exemplar.
  app.addHook(
    'onRequest',
    function askproaiObserveTracedRequest(
      request: FastifyRequest,
      reply: FastifyReply,
      done: HookHandlerDoneFunction,
    ) {
      const res = reply.raw;
      const trace = traceId();
      res.on('close', function askproaiRecordRequest() {
        const finished = res.writableFinished;
        const handle = handleOf(request);
        if (handle === null) return;
        if (finished) handle.recordTraced(request.method, res.statusCode, reply.elapsedTime / 1000, trace);
        else metrics.aborted(handle, request.method, res);
      });
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
    if (isStreamed(r.body)) {
      // Written into the socket as it is rendered, each piece's buffer reused once written: Fastify's
      // own sending (and its onSend hooks) is bypassed for this response, so the headers earlier hooks
      // set on the reply (security headers) are carried over here.
      reply.hijack();
      for (const [name, value] of Object.entries(reply.getHeaders()))
        if (value !== undefined) reply.raw.setHeader(name, value);
      reply.raw.writeHead(r.status, r.headers);
      sendBody(reply.raw, r.body);
      return reply;
    }
    reply.code(r.status).headers(r.headers);
    // Pieces of a large exposition are streamed as the socket takes them.
    return reply.send(typeof r.body === 'string' || Buffer.isBuffer(r.body) ? r.body : Readable.from(r.body));
  };
}
