/**
 * POST /api/rum: the admin page's navigation timing beacon (sent with navigator.sendBeacon, so the body
 * arrives as text/plain JSON). Values are validated and bounded, and the page is mapped onto the fixed
 * ADMIN_PAGES list, so a flood of made-up pages or values cannot create series.
 *
 * Only the service's own admin pages may report: the request must come from the same origin
 * (`Sec-Fetch-Site: same-origin`, or an `Origin` equal to the service's own) and carry an admin
 * session, and each client may send RUM_RATE_LIMIT beacons a minute. Anything else is refused before
 * the body is read and counts nothing.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { MetricsCollector } from '../../metrics/index.ts';
import { ADMIN_PAGES, type AdminPage } from '../../metrics/index.ts';

export const RUM_BODY_LIMIT = 4096;
/** Beacons per client and minute: a person clicking through the admin pages sends a few. */
export const RUM_RATE_LIMIT = 30;
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

/** True when the browser says the request comes from a page of this service. */
export function isSameOrigin(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin';
  const origin = request.headers.origin;
  if (typeof origin !== 'string' || origin.length > 256) return false;
  try {
    return new URL(origin).host === request.host;
  } catch {
    return false;
  }
}

export function rumRoutes(collector: MetricsCollector, isAdmin: (request: FastifyRequest) => boolean) {
  return async function rum(app: FastifyInstance): Promise<void> {
    const rateLimit = {
      max: RUM_RATE_LIMIT,
      timeWindow: 60_000,
      keyGenerator: (request: FastifyRequest) => {
        const user = (request as { session?: { user?: unknown } }).session?.user;
        return typeof user === 'string' ? `user:${user}` : `ip:${request.ip}`;
      },
    };
    const guard = async (request: FastifyRequest, reply: import('fastify').FastifyReply) => {
      if (!isSameOrigin(request))
        return reply.code(403).send({ error: 'beacons come from the admin pages only' });
      if (!isAdmin(request)) return reply.code(401).send({ error: 'an admin session is required' });
    };
    app.post(
      '/api/rum',
      { bodyLimit: RUM_BODY_LIMIT, config: { rateLimit }, onRequest: guard },
      async (request, reply) => {
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
      },
    );
  };
}
