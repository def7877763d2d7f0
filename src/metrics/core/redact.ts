/**
 * The one redaction module: what counts as an e-mail address, a phone number or a credential, and how
 * to take them out of text. The label guard, the service's log scrubber and its error messages all use
 * it, so a value that is PII in a log line is PII in a label too.
 *
 * Every function here runs in linear time on input it first cuts to a bound: e-mail addresses and
 * phone numbers are found by scanning characters (no regular expression with nested or ambiguous
 * quantifiers), and the few regular expressions left have a literal anchor and bounded repetition.
 *
 * Recognised spellings:
 * - phone numbers `+49 171 1234567`, `0049 171 1234567`, `0171 1234567`, `01711234567`, `(030) 123-4567`,
 *   `030/1234567`, `+49.30.901820`, `tel:+49...`, and all of these URL-encoded (`%2B49%20171...`);
 * - e-mail addresses `anna@example.de`, also URL-encoded (`anna%40example.de`);
 * - credentials: `user:password@` in URLs, `Bearer|Basic|Token <value>`, and literal configured secrets.
 */

/** What replaces a secret. */
export const REDACTED = '[redacted]';
export const EMAIL_MARK = '[email]';
export const PHONE_MARK = '[phone]';

/** Longest string the scrubber looks at; the rest is cut and marked. */
export const SCRUB_MAX_CHARS = 16 * 1024;
const TRUNCATED_MARK = '…[truncated]';

const MIN_PHONE_DIGITS = 7;
const MAX_PHONE_DIGITS = 17;
const MAX_PHONE_RUN = 40;
const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;

const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isAlnum = (c: number) => isDigit(c) || isAlpha(c) || c === 95; // _ joins words too
// space, -, /, ., (, )
const isPhoneSep = (c: number) => c === 32 || c === 45 || c === 47 || c === 46 || c === 40 || c === 41;
// A-Z a-z 0-9 . _ % + -
const isLocal = (c: number) => isAlnum(c) || c === 46 || c === 37 || c === 43 || c === 45;
const isDomain = (c: number) => isDigit(c) || isAlpha(c) || c === 46 || c === 45;

/** `%XX` escapes of ASCII characters decoded, everything else left as it is (never throws). */
export function percentDecode(value: string): string {
  if (!value.includes('%')) return value;
  return value.replace(/%([0-7][0-9A-Fa-f])/g, (_, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
}

/** Cuts a string to `max` characters. */
export function bound(value: string, max: number = SCRUB_MAX_CHARS): string {
  return value.length > max ? value.slice(0, max) : value;
}

export interface Span {
  start: number;
  end: number;
}

/** Where the e-mail addresses are in `s` (scans once; `s` should be bounded). */
export function findEmails(s: string): Span[] {
  const out: Span[] = [];
  let from = 0;
  let floor = 0; // nothing left of the previous match is scanned again
  for (;;) {
    const at = s.indexOf('@', from);
    if (at < 0) break;
    let start = at;
    while (start > floor && at - start < MAX_LOCAL && isLocal(s.charCodeAt(start - 1))) start--;
    let end = at + 1;
    while (end < s.length && end - at <= MAX_DOMAIN && isDomain(s.charCodeAt(end))) end++;
    // Trailing dots and hyphens are punctuation, not part of the domain.
    while (end > at + 1 && (s.charCodeAt(end - 1) === 46 || s.charCodeAt(end - 1) === 45)) end--;
    const domain = s.slice(at + 1, end);
    const dot = domain.lastIndexOf('.');
    const tld = dot > 0 ? domain.slice(dot + 1) : '';
    let tldOk = tld.length >= 2;
    for (let i = 0; tldOk && i < tld.length; i++) tldOk = isAlpha(tld.charCodeAt(i));
    if (start < at && tldOk) {
      out.push({ start, end });
      floor = end;
      from = end;
    } else {
      from = at + 1;
    }
  }
  return out;
}

const DATE_LIKE = /^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$/;

/** Where the phone numbers are in `s` (scans once; `s` should be bounded). */
export function findPhones(s: string): Span[] {
  const out: Span[] = [];
  const n = s.length;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    const startsRun = c === 43 || c === 40 || isDigit(c);
    if (!startsRun || (i > 0 && (isAlnum(s.charCodeAt(i - 1)) || s.charCodeAt(i - 1) === 43))) {
      i++;
      continue;
    }
    // The longest run of digits and single or paired separators after an optional leading '+'.
    let j = c === 43 ? i + 1 : i;
    let seps = 0;
    while (j < n) {
      const d = s.charCodeAt(j);
      if (isDigit(d)) seps = 0;
      else if (isPhoneSep(d) && seps < 2) seps++;
      else break;
      j++;
    }
    let end = j;
    while (end > i && !isDigit(s.charCodeAt(end - 1))) end--;
    const next = j < n ? s.charCodeAt(j) : 0;
    if (end - i <= MAX_PHONE_RUN && !(end === j && isAlnum(next)) && isPhone(s.slice(i, end))) {
      out.push({ start: i, end });
    }
    i = Math.max(j, i + 1);
  }
  return out;
}

function isPhone(run: string): boolean {
  let digits = 0;
  let hasDot = false;
  for (let k = 0; k < run.length; k++) {
    const c = run.charCodeAt(k);
    if (isDigit(c)) digits++;
    else if (c === 46) hasDot = true;
  }
  if (digits < MIN_PHONE_DIGITS || digits > MAX_PHONE_DIGITS) return false;
  let p = 0;
  while (p < run.length && (run.charCodeAt(p) === 40 || run.charCodeAt(p) === 32)) p++;
  if (run.charCodeAt(p) === 43) return true;
  // 00 + country code or 0 + area code; never a decimal such as 0.123456789, 000..., or a date.
  if (run.charCodeAt(p) !== 48 || !isDigit(run.charCodeAt(p + 1))) return false;
  const international = run.charCodeAt(p + 1) === 48;
  if (international && !(isDigit(run.charCodeAt(p + 2)) && run.charCodeAt(p + 2) !== 48)) return false;
  if (hasDot && !international) return false;
  return !DATE_LIKE.test(run.slice(p));
}

/** True when the (bounded, percent-decoded) value holds an e-mail address. */
export function containsEmail(value: string): boolean {
  if (!value.includes('@') && !value.includes('%40')) return false;
  return findEmails(percentDecode(bound(value, 1024))).length > 0;
}

/**
 * True when the value holds a phone number: one of the spellings above anywhere in it, or a value
 * made only of phone characters with at least seven digits that is not a date or time.
 */
export function containsPhone(value: string): boolean {
  const s = percentDecode(bound(value, 1024));
  let digits = 0;
  let onlyPhoneChars = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isDigit(c)) digits++;
    else if (!(isPhoneSep(c) || c === 43 || c === 9)) onlyPhoneChars = false;
  }
  if (digits < MIN_PHONE_DIGITS) return false;
  const body = s.startsWith('tel:') ? s.slice(4) : s;
  if (onlyPhoneChars || (body !== s && /^[+\d\s()./-]+$/.test(body))) {
    const t = body.trim();
    return !(DATE_OR_TIME.test(t) || DATE_LIKE.test(t) || DECIMAL.test(t));
  }
  return findPhones(s).length > 0;
}

// Dates and times share a phone number's characters; they are not PII.
const DECIMAL = /^\d{1,20}\.\d{1,40}$/;
const DATE_OR_TIME = /^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?$|^\d{2}:\d{2}(?::\d{2})?$/;

function replaceSpans(s: string, spans: Span[], mark: string): string {
  if (spans.length === 0) return s;
  const parts: string[] = [];
  let last = 0;
  for (const { start, end } of spans) {
    parts.push(s.slice(last, start), mark);
    last = end;
  }
  parts.push(s.slice(last));
  return parts.join('');
}

const AUTH_SCHEME = /\b(Bearer|Basic|Token)[ \t]{1,8}[A-Za-z0-9._~+/=-]{6,4096}/gi;

/** `scheme://user:password@` -> `scheme://user:[redacted]@`, scanning from each `://`. */
function redactUrlCredentials(s: string): string {
  let out = '';
  let last = 0;
  let from = 0;
  for (;;) {
    const at = s.indexOf('://', from);
    if (at < 0) break;
    let k = at + 3;
    let colon = -1;
    while (k < s.length && k - at < 512) {
      const c = s.charCodeAt(k);
      if (c === 64 /* @ */ || c === 47 /* / */ || c <= 32) break;
      if (c === 58 /* : */ && colon < 0) colon = k;
      k++;
    }
    if (k < s.length && s.charCodeAt(k) === 64 && colon > 0 && colon + 1 < k) {
      out += `${s.slice(last, colon + 1)}${REDACTED}`;
      last = k;
    }
    from = Math.max(k, at + 3);
  }
  return last === 0 ? s : out + s.slice(last);
}

/**
 * Scrubs free text: cuts it to `SCRUB_MAX_CHARS`, decodes `%XX` escapes, replaces the literal secrets,
 * URL passwords, authorization values, e-mail addresses and phone numbers.
 */
export function redactText(value: string, secrets: readonly string[] = []): string {
  let out = value.length > SCRUB_MAX_CHARS ? value.slice(0, SCRUB_MAX_CHARS) + TRUNCATED_MARK : value;
  out = percentDecode(out);
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  out = redactUrlCredentials(out);
  out = out.replace(AUTH_SCHEME, `$1 ${REDACTED}`);
  out = replaceSpans(out, findEmails(out), EMAIL_MARK);
  out = replaceSpans(out, findPhones(out), PHONE_MARK);
  return out;
}

const SECRET_KEY = /pass(word)?|secret|token|api[-_]?key|authorization|signature|cookie|dsn|session/i;
const PII_KEY =
  /^(e-?mail|phone|phone_?number|from_?number|to_?number|customer_?(name|email|phone)|attendees?|responses|caller|transcript)$/i;

/** True for an object key whose value is always replaced whole (secrets and contact fields). */
export function isSensitiveKey(key: string): boolean {
  if (key.length > 64) return false;
  return SECRET_KEY.test(key) || PII_KEY.test(key);
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
  const text = (value: string): string => redactText(value, literal);
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
    if (Array.isArray(v)) return v.slice(0, 1000).map((x) => walk(x, depth + 1, seen));
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (isSensitiveKey(k)) out[k] = x === undefined || x === null ? x : REDACTED;
      else out[k] = walk(x, depth + 1, seen);
    }
    return out;
  };
  return { text, value: (v) => walk(v, 0, new WeakSet()) };
}
