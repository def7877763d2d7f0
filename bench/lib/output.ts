/** Where a benchmark writes its JSON result, and the run mode (`quick` or `full`). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type Mode = 'quick' | 'full';

/** The mode from `BENCH_MODE` (default `full`). */
export function mode(): Mode {
  return process.env.BENCH_MODE === 'quick' ? 'quick' : 'full';
}

/** Picks the quick or the full value of a setting. */
export function pick<T>(quick: T, full: T): T {
  return mode() === 'quick' ? quick : full;
}

/** Writes `data` as JSON to `BENCH_OUT_DIR/<name>.json` when that variable is set, and logs a summary line. */
export function writeResult(name: string, data: unknown): void {
  const dir = process.env.BENCH_OUT_DIR;
  if (dir) {
    const file = `${dir}/${name}.json`;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  }
}

/** Progress on stderr, so stdout stays free for machine-readable output. */
export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
