/**
 * POST /api/rum: the admin page's navigation timing beacon (sent with navigator.sendBeacon, so the body
 * arrives as text/plain JSON). Values are validated and bounded, and the page is mapped onto the fixed
 * ADMIN_PAGES list, so a flood of made-up pages or values cannot create series.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { MetricsCollector } from '../../metrics/index.ts';
import { ADMIN_PAGES, type AdminPage } from '../../metrics/index.ts';

export const RUM_BODY_LIMIT = 4096;
/** Ten minutes: anything longer is a tab left in the background, not a page load. */
export const MAX_PAGE_LOAD_MS = 600_000;

const timing = z.number().finite().min(0).max(MAX_PAGE_LOAD_MS);
const Beacon = z.object({
  page: z.string().min(1).max(100),
  loadMs: timing,
  ttfbMs: timing.optional(),
  fcpMs: timing.optional(),
  lcpMs: timing.optional(),
});

const PAGES: ReadonlySet<string> = new Set(ADMIN_PAGES);

/** `bookings`, `/admin/bookings` or `/admin/bookings/` -> `bookings`; `/admin` -> `dashboard`; else `other`. */
export function adminPageOf(page: string): AdminPage {
  const name =
    page
      .replace(/^\/?admin\/?/, '')
      .replace(/\/.*$/, '')
      .toLowerCase() || 'dashboard';
  return PAGES.has(name) ? (name as AdminPage) : 'other';
}

export function rumRoutes(collector: MetricsCollector) {
  return async function rum(app: FastifyInstance): Promise<void> {
    app.post('/api/rum', { bodyLimit: RUM_BODY_LIMIT }, async (request, reply) => {
      let body: unknown = request.body;
      if (typeof body === 'string') {
        try {
          body = JSON.parse(body);
        } catch {
          return reply.code(400).send({ error: 'expected a JSON body' });
        }
      }
      const parsed = Beacon.safeParse(body);
      if (!parsed.success) {
        return reply.code(400).send({
          error: 'invalid beacon',
          issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`),
        });
      }
      const page = adminPageOf(parsed.data.page);
      collector.recordAdminPageLoad(page, parsed.data.loadMs / 1000);
      request.log.debug({ ...parsed.data, page }, 'admin page timing');
      return reply.code(204).send();
    });
  };
}
