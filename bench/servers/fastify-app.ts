/**
 * The Fastify 5 benchmark app of each variant. Variants: `baseline` (no metrics), `ours`
 * (fastifyMetrics), `fastify-metrics` (13.2.1, histogram only, prom-client passed explicitly, same
 * buckets), `prom-client` (an onResponse hook with the same labels as ours).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyMetricsModule from 'fastify-metrics';
import client from 'prom-client';
import { HttpMetrics } from '../../src/metrics/http/core.ts';
import { fastifyMetrics } from '../../src/metrics/http/fastify.ts';
import { createRegistry } from '../../src/metrics/registry.ts';
import { BUCKETS, booking, calls, promClientRequestMetrics, STATS_PATH, UNMATCHED } from './shared.ts';

export const FASTIFY_VARIANTS = ['baseline', 'ours', 'fastify-metrics', 'prom-client'] as const;
export type FastifyVariant = (typeof FASTIFY_VARIANTS)[number];

/** The benchmark app of one variant and a function returning what it recorded. */
export async function buildFastify(
  variant: FastifyVariant,
  promRegistry: client.Registry = client.register,
): Promise<{ app: FastifyInstance; stats: () => string | Promise<string> }> {
  const app = Fastify({ logger: false });
  let stats: () => string | Promise<string> = () => '';

  if (variant === 'ours') {
    const registry = createRegistry();
    await app.register(fastifyMetrics, { metrics: new HttpMetrics(registry) });
    stats = () => registry.expose('text');
  } else if (variant === 'fastify-metrics') {
    // A CommonJS module with `exports.default`: the plugin is the default of the default.
    await app.register(fastifyMetricsModule.default, {
      promClient: client,
      endpoint: null,
      defaultMetrics: { enabled: false },
      routeMetrics: {
        enabled: { histogram: true, summary: false },
        overrides: { histogram: { buckets: BUCKETS, registers: [promRegistry] } },
      },
    });
    stats = () => promRegistry.metrics();
  } else if (variant === 'prom-client') {
    const { requests, duration } = promClientRequestMetrics(promRegistry);
    app.addHook('onResponse', (request, reply, done) => {
      const labels = {
        method: request.method,
        endpoint: request.routeOptions.url ?? UNMATCHED,
        status: reply.statusCode,
      };
      requests.inc(labels);
      duration.observe(labels, reply.elapsedTime / 1000);
      done();
    });
    stats = () => promRegistry.metrics();
  }

  app.get('/api/health', async () => ({ status: 'ok' }));
  app.get<{ Params: { id: string } }>('/api/bookings/:id', async (request) => booking(request.params.id));
  app.get<{ Params: { companyId: string } }>('/api/companies/:companyId/calls', async (request) =>
    calls(request.params.companyId),
  );
  app.get(STATS_PATH, async (_request, reply) => {
    reply.type('text/plain');
    return stats();
  });
  await app.ready();
  return { app, stats };
}
