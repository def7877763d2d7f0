export interface WaitOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between probes (default 100 ms). */
  intervalMs?: number;
  /** What we are waiting for, for the timeout message: "Prometheus to scrape itself". */
  what: string;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Poll `probe` until it returns something other than undefined, null or false and return that value.
 * A probe that throws counts as "not yet"; its last error is quoted in the timeout error.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  { timeoutMs = 10_000, intervalMs = 100, what }: WaitOptions,
): Promise<T> {
  const started = Date.now();
  let lastError: unknown;
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    const elapsed = Date.now() - started;
    if (elapsed >= timeoutMs) {
      const cause =
        lastError instanceof Error ? lastError.message : lastError === undefined ? '' : String(lastError);
      throw new Error(
        `timed out after ${elapsed} ms (${attempts} attempts) waiting for ${what}` +
          (cause ? `; last error: ${cause}` : ''),
        { cause: lastError },
      );
    }
    await sleep(Math.min(intervalMs, Math.max(0, timeoutMs - elapsed)));
  }
}
