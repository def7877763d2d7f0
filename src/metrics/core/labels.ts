/**
 * The label guard: what a label value may be before it becomes a series. It keeps PII out of the
 * exposition (e-mail addresses and phone numbers are replaced, not stored), bounds length and
 * character set, and escapes values for the text formats. What counts as PII is `./redact.ts`'s rule,
 * the same the service's log scrubber uses; values are cut before they are checked.
 */
import { containsEmail, containsPhone } from './redact.ts';

export const LABEL_VALUE_MAX_LENGTH = 128;
export const REDACTED_VALUE = '__redacted__';
export const OVERFLOW_VALUE = '__overflow__';
export const MISSING_VALUE = 'unknown';

export type DropReason = 'email' | 'phone' | 'too_long' | 'invalid_chars' | 'missing';

export interface GuardedValue {
  value: string;
  /** Why the value was altered; null when it passed unchanged. */
  reason: DropReason | null;
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
/** How much of a value the PII checks read: well past the kept length, so nothing kept goes unchecked. */
const PII_SCAN_CHARS = 4 * LABEL_VALUE_MAX_LENGTH;

export function looksLikeEmail(value: string): boolean {
  return containsEmail(value.length > PII_SCAN_CHARS ? value.slice(0, PII_SCAN_CHARS) : value);
}

export function looksLikePhone(value: string): boolean {
  return containsPhone(value.length > PII_SCAN_CHARS ? value.slice(0, PII_SCAN_CHARS) : value);
}

/** Turns any input into a safe label value, saying why it changed it. */
export function guardLabelValue(input: unknown): GuardedValue {
  if (input === undefined || input === null) return { value: MISSING_VALUE, reason: 'missing' };
  let value = typeof input === 'string' ? input : String(input);
  let reason: DropReason | null = null;
  const trimmed = value.trim();
  if (trimmed === '') return { value: MISSING_VALUE, reason: 'missing' };
  if (trimmed !== value) value = trimmed;

  if (looksLikeEmail(value)) return { value: REDACTED_VALUE, reason: 'email' };
  if (looksLikePhone(value)) return { value: REDACTED_VALUE, reason: 'phone' };

  if (value.length > LABEL_VALUE_MAX_LENGTH) {
    value = value.slice(0, LABEL_VALUE_MAX_LENGTH);
    reason = 'too_long';
  }
  CONTROL.lastIndex = 0;
  if (CONTROL.test(value)) {
    CONTROL.lastIndex = 0;
    value = value.replace(CONTROL, '_');
    reason ??= 'invalid_chars';
  }
  if (!value.isWellFormed()) {
    value = value.toWellFormed();
    reason ??= 'invalid_chars';
  }
  return { value, reason };
}

/** Escapes a label value for both the Prometheus text format and OpenMetrics. */
export function escapeLabelValue(value: string): string {
  if (!/[\\"\n]/.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * Renders `a="x",b="y"` for names and already guarded values. Built with join, which yields one flat
 * string: concatenation would leave a chain of fragments behind every series' label text.
 */
export function renderLabels(names: readonly string[], values: readonly string[]): string {
  const parts = new Array<string>(names.length);
  for (let i = 0; i < names.length; i++) parts[i] = `${names[i]}="${escapeLabelValue(values[i]!)}"`;
  return parts.join(',');
}

/** The values of a label text made by `renderLabels`, unescaped, in order. */
export function parseLabelText(text: string): string[] {
  const values: string[] = [];
  let i = 0;
  while (i < text.length) {
    i = text.indexOf('="', i) + 2;
    let value = '';
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        const c = text[i + 1];
        value += c === 'n' ? '\n' : c;
        i += 2;
      } else {
        value += text[i++];
      }
    }
    values.push(value);
    i += 2; // the closing quote and the comma
  }
  return values;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function assertMetricName(name: string): void {
  if (!METRIC_NAME.test(name)) throw new TypeError(`Invalid metric name: ${JSON.stringify(name)}`);
}

export function assertLabelName(metric: string, name: string): void {
  if (!LABEL_NAME.test(name) || name.startsWith('__') || name === 'le' || name === 'quantile') {
    throw new TypeError(`Invalid label name ${JSON.stringify(name)} on metric ${metric}`);
  }
}
