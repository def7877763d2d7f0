/**
 * Mounts the live view on a Fastify app:
 *
 * ```ts
 * const live = createLiveView({ registry, tokens, http: httpMetrics, authorize: (req) => isAdmin(req as FastifyRequest) });
 * await app.register(fastifyLiveView(live));   // /monitoring, /monitoring/data, /monitoring/assets/:file
 * ```
 *
 * Sampling starts with the registration and stops when the app closes. The view's routes are excluded
 * from the HTTP metrics when the view was given the app's `HttpMetrics`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LiveView } from '../live/view.ts';

export function fastifyLiveView(live: LiveView) {
  return async function askproaiLiveView(app: FastifyInstance): Promise<void> {
    const handler = async function askproaiLiveViewRoute(request: FastifyRequest, reply: FastifyReply) {
      const r = await live.handle(
        { method: request.method, url: request.url, headers: request.headers },
        request,
      );
      reply.code(r.status).headers(r.headers);
      return reply.send(r.body);
    };
    for (const url of [live.routes.page, live.routes.data, live.routes.asset]) app.get(url, handler);
    app.addHook('onClose', async () => live.stop());
    live.start();
  };
}
