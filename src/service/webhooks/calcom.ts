/**
 * Cal.com booking events: `{ triggerEvent, createdAt, payload: {...} }`. The tenant comes from the
 * event type (table `calcom_event_types`). Created bookings count as `confirmed`, or `pending` when the
 * host must confirm them first; reschedules and cancellations update the stored booking and count as
 * `rescheduled` and `cancelled`.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { BOOKING_SOURCES, type BookingSource, type BookingStatus } from '../../metrics/index.ts';
import { CALCOM_SIGNATURE_HEADER, verifyCalcom } from './signature.ts';
import { type Effects, noEffects, type ProviderSpec, type Trx } from './types.ts';

export const CALCOM_EVENTS = [
  'BOOKING_CREATED',
  'BOOKING_REQUESTED',
  'BOOKING_RESCHEDULED',
  'BOOKING_CANCELLED',
  'BOOKING_REJECTED',
  'BOOKING_PAID',
  'BOOKING_NO_SHOW_UPDATED',
  'MEETING_STARTED',
  'MEETING_ENDED',
  'PING',
] as const;
const EVENT_SET: ReadonlySet<string> = new Set(CALCOM_EVENTS);
const BOOKING_EVENTS: ReadonlySet<string> = new Set([
  'BOOKING_CREATED',
  'BOOKING_REQUESTED',
  'BOOKING_RESCHEDULED',
  'BOOKING_CANCELLED',
  'BOOKING_REJECTED',
]);
/** Sources a booking may carry in its metadata (set by the phone agent or the web widget). */
const CHANNELS: ReadonlySet<string> = new Set(BOOKING_SOURCES);

const isoDate = z
  .string()
  .max(64)
  .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'expected an ISO 8601 date' });

export const CalcomAttendeeSchema = z.object({
  name: z.string().max(200).optional(),
  email: z.string().max(320).optional(),
  phoneNumber: z.string().max(32).nullish(),
  timeZone: z.string().max(64).optional(),
});

export const CalcomPayloadSchema = z.object({
  uid: z.string().min(1).max(128).optional(),
  bookingId: z.number().int().optional(),
  eventTypeId: z.coerce.number().int().positive().optional(),
  type: z.string().max(200).optional(),
  title: z.string().max(500).optional(),
  startTime: isoDate.optional(),
  endTime: isoDate.optional(),
  status: z.string().max(32).optional(),
  requiresConfirmation: z.boolean().nullish(),
  rescheduleUid: z.string().max(128).nullish(),
  cancellationReason: z.string().max(2000).nullish(),
  attendees: z.array(CalcomAttendeeSchema).max(100).optional(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
});

export const CalcomEventSchema = z
  .object({
    triggerEvent: z.string().min(1).max(64),
    createdAt: z.string().max(64),
    payload: CalcomPayloadSchema,
  })
  .superRefine((body, ctx) => {
    if (!BOOKING_EVENTS.has(body.triggerEvent)) return;
    if (body.payload.uid === undefined)
      ctx.addIssue({ code: 'custom', path: ['payload', 'uid'], message: 'required for booking events' });
    if (body.payload.eventTypeId === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['payload', 'eventTypeId'],
        message: 'required for booking events',
      });
    }
  });

export type CalcomEvent = z.infer<typeof CalcomEventSchema>;

function sourceOf(body: CalcomEvent): BookingSource {
  const s = body.payload.metadata?.source;
  return typeof s === 'string' && CHANNELS.has(s) ? (s as BookingSource) : 'calcom';
}

const ms = (iso: string | undefined): number | null => (iso === undefined ? null : Date.parse(iso));

export function newBookingId(): string {
  return `bkg_${randomBytes(9).toString('base64url')}`;
}

/** The tenant's booking with this Cal.com uid; another tenant's booking is never found. */
async function findByUid(trx: Trx, companyId: string, uid: string) {
  return trx
    .selectFrom('bookings')
    .select(['id', 'status', 'source'])
    .where('calcom_uid', '=', uid)
    .where('company_id', '=', companyId)
    .executeTakeFirst();
}

async function insertBooking(
  trx: Trx,
  body: CalcomEvent,
  companyId: string,
  status: BookingStatus,
  now: number,
) {
  const p = body.payload;
  const attendee = p.attendees?.[0];
  const callId = p.metadata?.call_id;
  await trx
    .insertInto('bookings')
    .values({
      id: newBookingId(),
      company_id: companyId,
      status,
      source: sourceOf(body),
      created_at: now,
      updated_at: now,
      start_at: ms(p.startTime),
      end_at: ms(p.endTime),
      calcom_uid: p.uid ?? null,
      event_type_id: p.eventTypeId ?? null,
      call_id: typeof callId === 'string' ? callId.slice(0, 128) : null,
      customer_name: attendee?.name ?? null,
      customer_email: attendee?.email ?? null,
      customer_phone: attendee?.phoneNumber ?? null,
    })
    .execute();
}

async function ownedByAnotherTenant(trx: Trx, companyId: string, uid: string): Promise<boolean> {
  const row = await trx
    .selectFrom('bookings')
    .select('company_id')
    .where('calcom_uid', '=', uid)
    .executeTakeFirst();
  return row !== undefined && row.company_id !== companyId;
}

/** Inserts or updates the booking with Cal.com uid `uid` to `status`. */
async function setStatus(
  trx: Trx,
  body: CalcomEvent,
  companyId: string,
  uid: string,
  status: BookingStatus,
  now: number,
) {
  const p = body.payload;
  const existing = await findByUid(trx, companyId, uid);
  if (!existing) {
    await insertBooking(trx, body, companyId, status, now);
    return;
  }
  await trx
    .updateTable('bookings')
    .set({
      status,
      updated_at: now,
      calcom_uid: p.uid ?? uid,
      ...(p.startTime ? { start_at: ms(p.startTime) } : {}),
      ...(p.endTime ? { end_at: ms(p.endTime) } : {}),
    })
    .where('id', '=', existing.id)
    .where('company_id', '=', companyId)
    .execute();
}

export const calcom: ProviderSpec<CalcomEvent> = {
  provider: 'calcom',
  verify: (raw, headers, secrets) => {
    const h = headers[CALCOM_SIGNATURE_HEADER];
    return verifyCalcom(raw, Array.isArray(h) ? h[0] : h, secrets.calcomWebhookSecret);
  },
  schema: CalcomEventSchema,
  eventLabel(body) {
    const event = (body as { triggerEvent?: unknown } | null)?.triggerEvent;
    if (typeof event !== 'string') return 'unknown';
    return EVENT_SET.has(event) ? event.toLowerCase() : 'other';
  },
  async tenant(db, body) {
    const eventTypeId = body.payload.eventTypeId;
    if (eventTypeId === undefined) return 'none';
    const row = await db
      .selectFrom('calcom_event_types')
      .innerJoin('companies', 'companies.id', 'calcom_event_types.company_id')
      .select('companies.id')
      .where('calcom_event_types.event_type_id', '=', eventTypeId)
      .where('companies.is_active', '=', 1)
      .executeTakeFirst();
    return row?.id ?? null;
  },
  deliveryKey: (body) => `${body.triggerEvent}:${body.payload.uid ?? ''}:${body.createdAt}`,
  async apply(trx, body, companyId, now): Promise<Effects> {
    const effects = noEffects();
    const p = body.payload;
    // A uid that belongs to another tenant's booking is not this tenant's to change: acknowledged,
    // nothing stored, nothing counted (and no retry loop on the unique uid).
    for (const uid of [p.uid, p.rescheduleUid]) {
      if (uid && (await ownedByAnotherTenant(trx, companyId, uid))) return effects;
    }
    const source = sourceOf(body);
    switch (body.triggerEvent) {
      case 'BOOKING_CREATED':
      case 'BOOKING_REQUESTED': {
        const pending =
          body.triggerEvent === 'BOOKING_REQUESTED' ||
          p.requiresConfirmation === true ||
          p.status?.toUpperCase() === 'PENDING';
        const status: BookingStatus = pending ? 'pending' : 'confirmed';
        const existing = await findByUid(trx, companyId, p.uid!);
        // The same booking created twice (requested, then confirmed by the host) is one booking.
        if (existing?.status === status) break;
        await setStatus(trx, body, companyId, p.uid!, status, now);
        effects.bookings.push({ status, source: existing ? (existing.source as BookingSource) : source });
        break;
      }
      case 'BOOKING_RESCHEDULED': {
        const existing = p.rescheduleUid ? await findByUid(trx, companyId, p.rescheduleUid) : undefined;
        await setStatus(trx, body, companyId, existing ? p.rescheduleUid! : p.uid!, 'rescheduled', now);
        effects.bookings.push({
          status: 'rescheduled',
          source: existing ? (existing.source as BookingSource) : source,
        });
        break;
      }
      case 'BOOKING_CANCELLED':
      case 'BOOKING_REJECTED': {
        const status: BookingStatus = body.triggerEvent === 'BOOKING_CANCELLED' ? 'cancelled' : 'failed';
        const existing = await findByUid(trx, companyId, p.uid!);
        await setStatus(trx, body, companyId, p.uid!, status, now);
        effects.bookings.push({ status, source: existing ? (existing.source as BookingSource) : source });
        break;
      }
      default:
        // Other events are acknowledged and counted as webhooks only.
        break;
    }
    return effects;
  },
};
