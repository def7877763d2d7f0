/**
 * POST /api/webhooks/retell and /api/webhooks/calcom. The routes live in their own Fastify scope whose
 * only body parser keeps the raw bytes: signatures are computed over exactly what was sent.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { MetricsCollector, WebhookProvider } from '../../metrics/index.ts';
import type { WebhookPipeline } from '../webhooks/pipeline.ts';

export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

export function webhookRoutes(pipeline: WebhookPipeline, collector: MetricsCollector) {
  return async function webhooks(scope: FastifyInstance): Promise<void> {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT },
      (_req, body, done) => {
        done(null, body);
      },
    );
    // Bodies the parser refused (too large, aborted halfway, bad encoding) are client errors, not server
    // errors, and count as `rejected`: their signature was never checked, so anyone can send them. Counted
    // as `invalid` they would spend the webhook SLO, which counts signed deliveries only, and page.
    scope.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
      const status =
        error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
      if (status < 500) {
        collector.recordWebhook(providerOf(request), 'unknown', 'rejected', 0);
        return reply.code(status).send({ error: error.message });
      }
      throw error;
    });

    for (const provider of ['retell', 'calcom'] as const) {
      scope.post(`/api/webhooks/${provider}`, async (request, reply) => {
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const result = await pipeline.receive(provider, raw, request.headers, request.log);
        return reply.code(result.statusCode).send(result.body);
      });
    }
  };
}

function providerOf(request: FastifyRequest): WebhookProvider {
  return request.url.includes('/calcom') ? 'calcom' : 'retell';
}
