/**
 * Realistic Retell and Cal.com deliveries, shaped like the providers' own (with fake customer data),
 * plus the signed headers they would come with. The simulator, the tests and the docs use these.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { DEMO_COMPANY } from '../demo.ts';
import { CALCOM_SIGNATURE_HEADER, RETELL_SIGNATURE_HEADER, signCalcom, signRetell } from './signature.ts';

export interface RetellSampleOptions {
  callId?: string;
  agentId?: string;
  /** call_status; default `ended` for call_ended/call_analyzed, `ongoing` for call_started. */
  callStatus?: string;
  disconnectionReason?: string;
  startMs?: number;
  durationMs?: number;
  fromNumber?: string;
}

export function retellCallId(): string {
  return `call_${randomBytes(12).toString('hex')}`;
}

/** A Retell webhook body: `{ event, call }`. */
export function retellEvent(event: string, o: RetellSampleOptions = {}): Record<string, unknown> {
  const start = o.startMs ?? Date.now() - (o.durationMs ?? 90_000);
  const ended = event !== 'call_started';
  const call: Record<string, unknown> = {
    call_type: 'phone_call',
    call_id: o.callId ?? retellCallId(),
    agent_id: o.agentId ?? DEMO_COMPANY.retellAgentId,
    call_status: o.callStatus ?? (ended ? 'ended' : 'ongoing'),
    direction: 'inbound',
    from_number: o.fromNumber ?? '+4915100000000',
    to_number: DEMO_COMPANY.phoneNumber,
    start_timestamp: start,
    metadata: {},
    retell_llm_dynamic_variables: { practice: 'demo' },
    opt_out_sensitive_data_storage: false,
  };
  if (ended) {
    call.end_timestamp = start + (o.durationMs ?? 90_000);
    call.duration_ms = o.durationMs ?? 90_000;
    call.disconnection_reason = o.disconnectionReason ?? 'user_hangup';
    call.transcript = 'Agent: Good morning, how can I help?\nUser: I would like to book a check-up.';
  }
  if (event === 'call_analyzed') {
    call.call_analysis = {
      call_summary: 'The caller booked a check-up appointment.',
      user_sentiment: 'Positive',
      call_successful: true,
      in_voicemail: false,
      custom_analysis_data: { appointment_booked: true },
    };
  }
  return { event, call };
}

export interface CalcomSampleOptions {
  uid?: string;
  eventTypeId?: number;
  rescheduleUid?: string;
  requiresConfirmation?: boolean;
  source?: 'phone' | 'web' | 'api';
  startMs?: number;
}

export function calcomUid(): string {
  return randomBytes(11).toString('base64url');
}

/** A Cal.com webhook body: `{ triggerEvent, createdAt, payload }`. */
export function calcomEvent(triggerEvent: string, o: CalcomSampleOptions = {}): Record<string, unknown> {
  const start = o.startMs ?? Date.now() + 86_400_000 + randomInt(0, 7) * 86_400_000;
  const payload: Record<string, unknown> = {
    type: DEMO_COMPANY.calcomEventTypeSlug,
    title: 'Consultation between Demo Dental Practice and Erika Mustermann',
    description: '',
    startTime: new Date(start).toISOString(),
    endTime: new Date(start + 30 * 60_000).toISOString(),
    organizer: {
      id: 5,
      name: 'Demo Dental Practice',
      email: 'practice@example.com',
      timeZone: 'Europe/Berlin',
      language: { locale: 'de' },
    },
    attendees: [
      {
        name: 'Erika Mustermann',
        email: 'erika@example.com',
        timeZone: 'Europe/Berlin',
        phoneNumber: '+4915100000001',
      },
    ],
    location: 'Demo Dental Practice, Berlin',
    uid: o.uid ?? calcomUid(),
    bookingId: randomInt(1, 1_000_000),
    eventTypeId: o.eventTypeId ?? DEMO_COMPANY.calcomEventTypeId,
    status: o.requiresConfirmation ? 'PENDING' : 'ACCEPTED',
    requiresConfirmation: o.requiresConfirmation ?? false,
    metadata: o.source ? { source: o.source } : {},
  };
  if (o.rescheduleUid) payload.rescheduleUid = o.rescheduleUid;
  if (triggerEvent === 'BOOKING_CANCELLED') payload.cancellationReason = 'Patient is unwell';
  return { triggerEvent, createdAt: new Date().toISOString(), payload };
}

/** The body text and headers Retell would send. */
export function signedRetell(
  body: unknown,
  apiKey: string,
  timestampMs?: number,
): { body: string; headers: Record<string, string> } {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    body: text,
    headers: {
      'content-type': 'application/json',
      [RETELL_SIGNATURE_HEADER]: signRetell(text, apiKey, timestampMs),
    },
  };
}

/** The body text and headers Cal.com would send. */
export function signedCalcom(
  body: unknown,
  secret: string,
): { body: string; headers: Record<string, string> } {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    body: text,
    headers: { 'content-type': 'application/json', [CALCOM_SIGNATURE_HEADER]: signCalcom(text, secret) },
  };
}
