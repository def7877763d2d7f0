/**
 * Paired-round statistics: the median of per-round differences with a bootstrap 95% interval
 * (percentile method, rounds resampled jointly so ratios between variants keep their pairing).
 */
import { prng } from './labels.ts';
import { median } from './stats.ts';

export { prng };

export interface Interval {
  /** The statistic on the rounds as measured. */
  value: number;
  low: number;
  high: number;
}

function percentile(sorted: ArrayLike<number>, p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))));
  return sorted[i]!;
}

/**
 * Bootstrap 95% intervals of several statistics computed from the same resampled rounds.
 * `series` maps a name to its per-round values (all the same length); `stats` maps a name to a
 * function of the resampled series.
 */
export function bootstrap(
  series: Record<string, readonly number[]>,
  stats: Record<string, (s: Record<string, number[]>) => number>,
  iterations = 10_000,
  seed = 12,
): Record<string, Interval> {
  const names = Object.keys(series);
  const n = series[names[0]!]!.length;
  const random = prng(seed);
  const statNames = Object.keys(stats);
  const statFns = statNames.map((k) => stats[k]!);
  const draws = statNames.map(() => new Float64Array(iterations));
  // Resampled series live in typed arrays that are refilled in place on every iteration.
  const from = names.map((name) => Float64Array.from(series[name]!));
  const to = names.map(() => new Float64Array(n));
  const sample: Record<string, number[]> = {};
  names.forEach((name, i) => {
    sample[name] = to[i] as unknown as number[];
  });
  const picks = new Uint32Array(n);
  for (let it = 0; it < iterations; it++) {
    for (let j = 0; j < n; j++) picks[j] = Math.floor(random() * n);
    for (let i = 0; i < from.length; i++) {
      const src = from[i]!;
      const dst = to[i]!;
      for (let j = 0; j < n; j++) dst[j] = src[picks[j]!]!;
    }
    for (let k = 0; k < statFns.length; k++) draws[k]![it] = statFns[k]!(sample);
  }
  const out: Record<string, Interval> = {};
  const original: Record<string, number[]> = {};
  for (const name of names) original[name] = [...series[name]!];
  statNames.forEach((k, i) => {
    const sorted = draws[i]!.filter(Number.isFinite).sort();
    out[k] = { value: stats[k]!(original), low: percentile(sorted, 0.025), high: percentile(sorted, 0.975) };
  });
  return out;
}

export const medianOf = (name: string) => (s: Record<string, number[]>) => median(s[name]!);

/**
 * The verdict on "at most `target`" for an interval: a figure whose interval is wider than the
 * target cannot resolve it; otherwise pass when the whole interval is at or below the target and
 * fail when the whole interval is above it.
 */
export function verdictAtMost(i: Interval, target: number): 'pass' | 'FAIL' | 'unresolved' {
  if (i.high - i.low > target) return 'unresolved';
  if (i.high <= target) return 'pass';
  if (i.low > target) return 'FAIL';
  return 'unresolved';
}
