/**
 * Request-time misuse is reported once per cause through `process.emitWarning` with a stable code,
 * never as a log line per call and never as an exception into business code.
 */
export const WarningCodes = {
  labelOverflow: 'ASKPROAI_METRICS_LABEL_OVERFLOW',
  labelRedacted: 'ASKPROAI_METRICS_LABEL_REDACTED',
  labelInvalid: 'ASKPROAI_METRICS_LABEL_INVALID',
  valueInvalid: 'ASKPROAI_METRICS_VALUE_INVALID',
  collectFailed: 'ASKPROAI_METRICS_COLLECT_FAILED',
} as const;
export type WarningCode = (typeof WarningCodes)[keyof typeof WarningCodes];

const seen = new Set<string>();
const MAX_SEEN = 1000;

/** Emits `message` once for each distinct `(code, cause)`; `cause` must not contain label values. */
export function warnOnce(code: WarningCode, cause: string, message: string): void {
  const key = `${code}\u0000${cause}`;
  if (seen.has(key) || seen.size >= MAX_SEEN) return;
  seen.add(key);
  try {
    process.emitWarning(message, { code });
  } catch {
    // A throwing 'warning' listener must not reach the recording call.
  }
}

/** For tests: forget which warnings were emitted. */
export function resetWarnings(): void {
  seen.clear();
}
