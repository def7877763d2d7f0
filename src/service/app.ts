/**
 * The reference AskProAI service: a Fastify app with the metrics middleware and /api/metrics mounted.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { fastifyMetrics, fastifyMetricsEndpoint } from '../metrics/http/fastify.ts';
import type { Metrics } from '../metrics/setup.ts';

export interface AppDeps {
  config: Config;
  metrics: Metrics;
}

export async function buildApp({ config, metrics }: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  await app.register(fastifyMetrics, { metrics: metrics.http });

  app.get(config.metrics.path, fastifyMetricsEndpoint(metrics.endpoint));
  app.get('/api/health', async () => ({ status: 'ok' }));

  app.get<{ Params: { id: string } }>('/api/bookings/:id', async (request, reply) => {
    const id = request.params.id;
    if (!/^\d+$/.test(id)) return reply.code(404).send({ error: 'booking not found' });
    return { id: Number(id), status: 'confirmed', source: 'phone' };
  });

  // Demo routes for the simulator and the alert tests: a slow response and a failing one.
  app.get<{ Querystring: { ms?: string } }>('/api/demo/slow', async (request) => {
    const ms = Math.min(Math.max(Number(request.query.ms ?? 300) || 0, 0), 10_000);
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { sleptMs: ms };
  });

  app.get('/api/fail', async () => {
    metrics.collector.recordError('intentional_failure', 'error');
    throw new Error('This route fails on purpose');
  });

  return app;
}
