/**
 * The one timeout helper: runs work with a deadline, aborts its signal at the deadline and stops
 * waiting for it. Used by the scheduled collectors, the BullMQ time limit and shutdown paths.
 *
 * ```ts
 * const rows = await withTimeout((signal) => query(signal), 5000);
 * const finished = await settleWithin(worker.close(), 5000); // false: gave up waiting
 * ```
 */

/** The default error of a deadline; `withTimeout` callers may pass their own. */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

export interface WithTimeoutOptions {
  /** The error to abort and reject with; default `TimeoutError("timed out after N ms")`. */
  error?: () => Error;
  /** Called once when the deadline passes, before the rejection (e.g. to count the timeout). */
  onTimeout?: () => void;
  /** An outer signal: its abort is passed on to the work's signal. */
  signal?: AbortSignal | undefined;
}

/**
 * Resolves with the work's result, or rejects with the timeout error once `ms` have passed; the
 * work's signal is aborted with that error. A late rejection of abandoned work is not left unhandled.
 */
export async function withTimeout<T>(
  work: (signal: AbortSignal) => Promise<T> | T,
  ms: number,
  options: WithTimeoutOptions = {},
): Promise<T> {
  const controller = new AbortController();
  const outer = options.signal;
  const onOuterAbort = () => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = options.error?.() ?? new TimeoutError(`timed out after ${ms} ms`);
      options.onTimeout?.();
      controller.abort(err);
      reject(err);
    }, ms);
  });
  const running = Promise.resolve().then(() => work(controller.signal));
  running.catch(() => {});
  try {
    return await Promise.race([running, deadline]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
  }
}

/** Waits for `promise` at most `ms`: true when it settled in time (either way), false when it did not. */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  try {
    await withTimeout(() => promise, ms);
    return true;
  } catch (err) {
    return !(err instanceof TimeoutError);
  }
}
