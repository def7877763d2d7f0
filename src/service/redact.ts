/**
 * Keeps phone numbers, e-mail addresses and secrets out of logs and error reports. Two layers: known
 * keys (`email`, `from_number`, `authorization`, ...) are replaced whole, and every string is scrubbed
 * for values that look like PII or credentials, so free text such as an error message is covered too.
 */

export const REDACTED = '[redacted]';

const SECRET_KEY = /pass(word)?|secret|token|api[-_]?key|authorization|signature|cookie|dsn/i;
const PII_KEY =
  /^(e-?mail|phone|phone_?number|from_?number|to_?number|customer_?(name|email|phone)|attendees?|responses|caller|transcript)$/i;

const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]+@/gi;
const AUTH_SCHEME = /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{6,}/gi;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
// International numbers (+49 30 901820), and national ones written with a leading 0 and a separator.
const PHONE_INTL = /(?<![\w+])\+\d[\d\s()./-]{5,20}\d/g;
const PHONE_NATIONAL = /(?<![\w.:-])0\d{2,5}[\s/-]\d{3,}(?:[\s-]\d{1,6})*/g;

function digits(s: string): number {
  let n = 0;
  for (const c of s) if (c >= '0' && c <= '9') n++;
  return n;
}

export interface Scrubber {
  /** Scrub one string. */
  text(value: string): string;
  /** Deep-copy a value with secret and PII keys replaced and every string scrubbed. */
  value(value: unknown): unknown;
}

/**
 * Builds a scrubber that also replaces the given secret values wherever they appear (configured API
 * keys and tokens). Secrets shorter than 6 characters are ignored to avoid mangling ordinary words.
 */
export function createScrubber(secrets: readonly (string | undefined)[] = []): Scrubber {
  const literal = [
    ...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= 6)),
  ].sort((a, b) => b.length - a.length);
  const text = (value: string): string => {
    let out = value;
    for (const s of literal) if (out.includes(s)) out = out.split(s).join(REDACTED);
    out = out.replace(URL_CREDENTIALS, `$1:${REDACTED}@`);
    out = out.replace(AUTH_SCHEME, `$1 ${REDACTED}`);
    out = out.replace(EMAIL, '[email]');
    out = out.replace(PHONE_INTL, (m) => (digits(m) >= 7 ? '[phone]' : m));
    out = out.replace(PHONE_NATIONAL, (m) => (digits(m) >= 7 ? '[phone]' : m));
    return out;
  };
  const walk = (v: unknown, depth: number, seen: WeakSet<object>): unknown => {
    if (typeof v === 'string') return text(v);
    if (v === null || typeof v !== 'object') return v;
    if (depth > 8 || seen.has(v)) return '[truncated]';
    seen.add(v);
    if (v instanceof Error) {
      const out: Record<string, unknown> = { type: v.name, message: text(v.message) };
      if (v.stack) out.stack = text(v.stack);
      const code = (v as { code?: unknown }).code;
      if (code !== undefined) out.code = code;
      return out;
    }
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1, seen));
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (SECRET_KEY.test(k) || PII_KEY.test(k)) out[k] = x === undefined || x === null ? x : REDACTED;
      else out[k] = walk(x, depth + 1, seen);
    }
    return out;
  };
  return { text, value: (v) => walk(v, 0, new WeakSet()) };
}
