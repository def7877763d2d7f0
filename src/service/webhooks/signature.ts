/**
 * Webhook signatures as the providers compute them.
 *
 * - Retell: `x-retell-signature: v=<unix ms>,d=<hex HMAC-SHA256(key = RETELL_API_KEY, raw body + v)>`;
 *   deliveries older (or newer) than five minutes are refused, so a captured request cannot be replayed.
 * - Cal.com: `X-Cal-Signature-256: <hex HMAC-SHA256(key = CALCOM_WEBHOOK_SECRET, raw body)>`.
 *
 * Both verify the raw bytes as received and compare in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const RETELL_SIGNATURE_HEADER = 'x-retell-signature';
export const CALCOM_SIGNATURE_HEADER = 'x-cal-signature-256';
/** How far a Retell timestamp may be from now. */
export const RETELL_MAX_SKEW_MS = 5 * 60 * 1000;

export type SignatureFailure = 'missing' | 'malformed' | 'expired' | 'mismatch';
export type SignatureCheck = { ok: true } | { ok: false; reason: SignatureFailure };

function hmacHex(key: string, ...parts: (string | Buffer)[]): string {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

function equalHex(expectedHex: string, presentedHex: string): boolean {
  const expected = Buffer.from(expectedHex, 'hex');
  const presented = /^[0-9a-f]+$/i.test(presentedHex) ? Buffer.from(presentedHex, 'hex') : Buffer.alloc(0);
  // Compare equal-length buffers either way, so a wrong length costs the same as a wrong digest.
  const same = presented.length === expected.length;
  return timingSafeEqual(expected, same ? presented : expected) && same;
}

/** The header value Retell would send for this body at `timestampMs`. */
export function signRetell(body: string | Buffer, apiKey: string, timestampMs: number = Date.now()): string {
  const v = String(Math.trunc(timestampMs));
  return `v=${v},d=${hmacHex(apiKey, body, v)}`;
}

/** Checks a Retell signature header against the raw body. */
export function verifyRetell(
  raw: Buffer,
  header: string | undefined,
  apiKey: string,
  nowMs: number = Date.now(),
): SignatureCheck {
  if (!header) return { ok: false, reason: 'missing' };
  const match = /^v=(\d{10,16}),d=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match) return { ok: false, reason: 'malformed' };
  const v = match[1]!;
  if (Math.abs(nowMs - Number(v)) > RETELL_MAX_SKEW_MS) return { ok: false, reason: 'expired' };
  return equalHex(hmacHex(apiKey, raw, v), match[2]!) ? { ok: true } : { ok: false, reason: 'mismatch' };
}

/** The header value Cal.com would send for this body. */
export function signCalcom(body: string | Buffer, secret: string): string {
  return hmacHex(secret, body);
}

/** Checks a Cal.com signature header against the raw body. */
export function verifyCalcom(raw: Buffer, header: string | undefined, secret: string): SignatureCheck {
  if (!header) return { ok: false, reason: 'missing' };
  const presented = header.trim().replace(/^sha256=/i, '');
  if (!/^[0-9a-fA-F]{64}$/.test(presented)) return { ok: false, reason: 'malformed' };
  return equalHex(hmacHex(secret, raw), presented) ? { ok: true } : { ok: false, reason: 'mismatch' };
}
