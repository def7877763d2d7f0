/**
 * Retell AI call events: `call_started`, `call_ended`, `call_analyzed` with `{ event, call: {...} }`.
 * A call is counted once, when it ends, with a status derived from `call_status` and
 * `disconnection_reason`; the other events only update the stored call.
 */
import { z } from 'zod';
import type { CallStatus } from '../../metrics/index.ts';
import { RETELL_SIGNATURE_HEADER, verifyRetell } from './signature.ts';
import { type Effects, noEffects, type ProviderSpec, type Trx } from './types.ts';

export const RETELL_EVENTS = ['call_started', 'call_ended', 'call_analyzed'] as const;
const EVENT_SET: ReadonlySet<string> = new Set(RETELL_EVENTS);
const ANALYSIS_MAX_CHARS = 16_000;

const phone = z.string().max(32);
const millis = z.number().int().nonnegative().max(8_640_000_000_000_000);

export const RetellCallSchema = z.object({
  call_id: z.string().min(1).max(128),
  agent_id: z.string().min(1).max(128),
  call_status: z.string().min(1).max(32),
  call_type: z.string().max(32).optional(),
  direction: z.enum(['inbound', 'outbound']).optional(),
  from_number: phone.optional(),
  to_number: phone.optional(),
  start_timestamp: millis.optional(),
  end_timestamp: millis.optional(),
  duration_ms: millis.optional(),
  disconnection_reason: z.string().max(64).optional(),
  call_analysis: z.record(z.string(), z.unknown()).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

export const RetellEventSchema = z.object({
  event: z.string().min(1).max(64),
  call: RetellCallSchema,
});

export type RetellEvent = z.infer<typeof RetellEventSchema>;
export type RetellCall = z.infer<typeof RetellCallSchema>;

const NO_ANSWER = new Set([
  'dial_no_answer',
  'registered_call_timeout',
  'error_user_not_joined',
  'user_declined',
]);
const TRANSFERRED = new Set(['call_transfer', 'transfer_bridged']);
const COMPLETED = new Set([
  'user_hangup',
  'agent_hangup',
  'inactivity',
  'max_duration_reached',
  'transfer_cancelled',
]);

/** The final status of a call, from Retell's `call_status` and `disconnection_reason`. */
export function deriveCallStatus(call: Pick<RetellCall, 'call_status' | 'disconnection_reason'>): CallStatus {
  const reason = call.disconnection_reason ?? '';
  if (reason === 'dial_busy') return 'busy';
  if (reason === 'voicemail_reached') return 'voicemail';
  if (NO_ANSWER.has(reason) || call.call_status === 'not_connected') return 'no_answer';
  if (TRANSFERRED.has(reason)) return 'transferred';
  if (call.call_status === 'error' || reason === 'dial_failed' || reason.startsWith('error_'))
    return 'failed';
  if (COMPLETED.has(reason) || reason === '') return 'completed';
  // Refusals such as concurrency_limit_reached, no_valid_payment or scam_detected.
  return 'failed';
}

async function upsertCall(
  trx: Trx,
  call: RetellCall,
  companyId: string,
  status: string,
  now: number,
  analysis?: string,
) {
  const fields = {
    status,
    direction: call.direction ?? null,
    from_number: call.from_number ?? null,
    to_number: call.to_number ?? null,
    started_at: call.start_timestamp ?? null,
    ended_at: call.end_timestamp ?? null,
    duration_ms:
      call.duration_ms ??
      (call.start_timestamp !== undefined && call.end_timestamp !== undefined
        ? Math.max(0, call.end_timestamp - call.start_timestamp)
        : null),
    disconnection_reason: call.disconnection_reason ?? null,
    updated_at: now,
  };
  const existing = await trx
    .selectFrom('calls')
    .select(['id', 'status'])
    .where('id', '=', call.call_id)
    .where('company_id', '=', companyId)
    .executeTakeFirst();
  if (existing) {
    // Events may arrive out of order: an ended call never goes back to in_progress.
    const keepStatus = status === 'in_progress' && existing.status !== 'in_progress';
    await trx
      .updateTable('calls')
      .set({
        ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null)),
        status: keepStatus ? existing.status : status,
        ...(analysis !== undefined ? { analysis } : {}),
      })
      .where('id', '=', call.call_id)
      .where('company_id', '=', companyId)
      .execute();
    return;
  }
  await trx
    .insertInto('calls')
    .values({
      id: call.call_id,
      company_id: companyId,
      agent_id: call.agent_id,
      ...fields,
      analysis: analysis ?? null,
      created_at: now,
    })
    .execute();
}

export const retell: ProviderSpec<RetellEvent> = {
  provider: 'retell',
  verify: (raw, headers, secrets, now) => {
    const h = headers[RETELL_SIGNATURE_HEADER];
    return verifyRetell(raw, Array.isArray(h) ? h[0] : h, secrets.retellApiKey, now);
  },
  schema: RetellEventSchema,
  eventLabel(body) {
    const event = (body as { event?: unknown } | null)?.event;
    return typeof event === 'string' && EVENT_SET.has(event)
      ? event
      : typeof event === 'string'
        ? 'other'
        : 'unknown';
  },
  async tenant(db, body) {
    const row = await db
      .selectFrom('companies')
      .select('id')
      .where('retell_agent_id', '=', body.call.agent_id)
      .where('is_active', '=', 1)
      .executeTakeFirst();
    return row?.id ?? null;
  },
  deliveryKey: (body) => `${body.event}:${body.call.call_id}`,
  async apply(trx, body, companyId, now): Promise<Effects> {
    const effects = noEffects();
    const call = body.call;
    if (body.event === 'call_started') {
      await upsertCall(trx, call, companyId, 'in_progress', now);
    } else if (body.event === 'call_ended') {
      const status = deriveCallStatus(call);
      await upsertCall(trx, call, companyId, status, now);
      effects.calls.push({ status, company: companyId });
    } else if (body.event === 'call_analyzed') {
      const analysis = call.call_analysis
        ? JSON.stringify(call.call_analysis).slice(0, ANALYSIS_MAX_CHARS)
        : undefined;
      const status = call.call_status === 'ended' ? deriveCallStatus(call) : 'in_progress';
      await upsertCall(trx, call, companyId, status, now, analysis);
    }
    return effects;
  },
};
