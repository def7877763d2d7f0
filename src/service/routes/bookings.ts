/**
 * Bookings for the admin side and direct API clients: POST /api/bookings (sources phone, web, api),
 * GET /api/bookings (recent, per company), GET /api/bookings/:id, GET /api/calls, GET /api/companies.
 * Listings never return customer contact data.
 *
 * Every route needs a credential: an API key sees and changes only its own tenant's rows; an admin
 * session reads every tenant (and creates nothing: writes are for API clients).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { MetricsCollector } from '../../metrics/index.ts';
import type { AccessScope } from '../auth/index.ts';
import type { ServiceDatabase } from '../db/connect.ts';
import { newBookingId } from '../webhooks/calcom.ts';

const CreateBooking = z.strictObject({
  companyId: z.string().min(1).max(64),
  source: z.enum(['phone', 'web', 'api']),
  startTime: z.iso.datetime({ offset: true }),
  endTime: z.iso.datetime({ offset: true }).optional(),
  status: z.enum(['confirmed', 'pending']).optional(),
  callId: z.string().max(128).optional(),
  customer: z
    .strictObject({
      name: z.string().max(200).optional(),
      email: z.email().max(320).optional(),
      phone: z.string().max(32).optional(),
    })
    .optional(),
});

const ListQuery = z.object({
  companyId: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

const PUBLIC_BOOKING_COLUMNS = [
  'id',
  'company_id',
  'status',
  'source',
  'start_at',
  'end_at',
  'created_at',
  'updated_at',
] as const;

function issues(error: z.ZodError): string[] {
  return error.issues.slice(0, 10).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
}

export type ScopeOf = (request: FastifyRequest) => Promise<AccessScope | null>;

const scopes = new WeakMap<FastifyRequest, AccessScope>();

/** The tenant a listing is limited to: the key's own, or the admin's filter (undefined: all). */
function tenantFilter(scope: AccessScope, requested: string | undefined): string | undefined | false {
  if (scope.kind === 'admin') return requested;
  return requested === undefined || requested === scope.companyId ? scope.companyId : false;
}

export function bookingRoutes(
  database: ServiceDatabase,
  collector: MetricsCollector,
  scopeOf: ScopeOf,
  now: () => number = Date.now,
) {
  const { db } = database;
  return async function bookings(app: FastifyInstance): Promise<void> {
    app.addHook('onRequest', async (request, reply) => {
      const scope = await scopeOf(request);
      if (!scope) {
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer realm="askproai"')
          .send({ error: 'a valid API key or admin session is required' });
      }
      scopes.set(request, scope);
    });
    const scope = (request: FastifyRequest) => scopes.get(request)!;

    app.post('/api/bookings', async (request, reply) => {
      const s = scope(request);
      if (s.kind !== 'tenant') return reply.code(403).send({ error: 'bookings are created with an API key' });
      const parsed = CreateBooking.safeParse(request.body);
      if (!parsed.success)
        return reply.code(400).send({ error: 'invalid booking', issues: issues(parsed.error) });
      const b = parsed.data;
      if (b.companyId !== s.companyId) return reply.code(403).send({ error: 'outside your tenant' });
      const company = await db
        .selectFrom('companies')
        .select('id')
        .where('id', '=', b.companyId)
        .where('is_active', '=', 1)
        .executeTakeFirst();
      if (!company) return reply.code(404).send({ error: 'unknown company' });
      const t = now();
      const status = b.status ?? 'confirmed';
      const id = newBookingId();
      await db
        .insertInto('bookings')
        .values({
          id,
          company_id: company.id,
          status,
          source: b.source,
          created_at: t,
          updated_at: t,
          start_at: Date.parse(b.startTime),
          end_at: b.endTime ? Date.parse(b.endTime) : null,
          calcom_uid: null,
          event_type_id: null,
          call_id: b.callId ?? null,
          customer_name: b.customer?.name ?? null,
          customer_email: b.customer?.email ?? null,
          customer_phone: b.customer?.phone ?? null,
        })
        .execute();
      collector.recordBooking(status, b.source);
      request.log.info({ tenant: company.id, bookingId: id, status, source: b.source }, 'booking created');
      return reply.code(201).send({ id, companyId: company.id, status, source: b.source });
    });

    app.get('/api/bookings', async (request, reply) => {
      const q = ListQuery.safeParse(request.query);
      if (!q.success) return reply.code(400).send({ error: 'invalid query', issues: issues(q.error) });
      const tenant = tenantFilter(scope(request), q.data.companyId);
      if (tenant === false) return reply.code(403).send({ error: 'outside your tenant' });
      let query = db
        .selectFrom('bookings')
        .select(PUBLIC_BOOKING_COLUMNS)
        .orderBy('created_at', 'desc')
        .limit(q.data.limit ?? 50);
      if (tenant) query = query.where('company_id', '=', tenant);
      return { bookings: await query.execute() };
    });

    app.get<{ Params: { id: string } }>('/api/bookings/:id', async (request, reply) => {
      const id = request.params.id;
      if (id.length > 64) return reply.code(404).send({ error: 'booking not found' });
      const tenant = tenantFilter(scope(request), undefined);
      let query = db.selectFrom('bookings').select(PUBLIC_BOOKING_COLUMNS).where('id', '=', id);
      if (tenant) query = query.where('company_id', '=', tenant);
      const row = await query.executeTakeFirst();
      if (!row) return reply.code(404).send({ error: 'booking not found' });
      return row;
    });

    app.get('/api/calls', async (request, reply) => {
      const q = ListQuery.safeParse(request.query);
      if (!q.success) return reply.code(400).send({ error: 'invalid query', issues: issues(q.error) });
      const tenant = tenantFilter(scope(request), q.data.companyId);
      if (tenant === false) return reply.code(403).send({ error: 'outside your tenant' });
      let query = db
        .selectFrom('calls')
        .select([
          'id',
          'company_id',
          'status',
          'direction',
          'started_at',
          'ended_at',
          'duration_ms',
          'disconnection_reason',
        ])
        .orderBy('created_at', 'desc')
        .limit(q.data.limit ?? 50);
      if (tenant) query = query.where('company_id', '=', tenant);
      return { calls: await query.execute() };
    });

    app.get('/api/companies', async (request) => {
      const tenant = tenantFilter(scope(request), undefined);
      let query = db
        .selectFrom('companies')
        .select(['id', 'name', 'is_active', 'retell_agent_id', 'created_at'])
        .orderBy('id');
      if (tenant) query = query.where('id', '=', tenant);
      return { companies: await query.execute() };
    });
  };
}
