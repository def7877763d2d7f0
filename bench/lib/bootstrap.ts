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
 *
 * With `clusters` (a cluster id per round, e.g. which processes measured the round), the resampling
 * has two stages: the clusters are drawn with replacement, then rounds within each drawn cluster.
 * Rounds of one cluster share whatever sets that cluster apart (a process's own speed), so the
 * interval also covers how much another set of processes would have differed.
 */
export function bootstrap(
  series: Record<string, readonly number[]>,
  stats: Record<string, (s: Record<string, number[]>) => number>,
  iterations = 10_000,
  seed = 12,
  clusters?: readonly number[],
): Record<string, Interval> {
  const names = Object.keys(series);
  const n = series[names[0]!]!.length;
  const random = prng(seed);
  const statNames = Object.keys(stats);
  const statFns = statNames.map((k) => stats[k]!);
  const draws = statNames.map(() => new Float64Array(iterations));
  // Resampled series live in typed arrays that are refilled in place on every iteration.
  const from = names.map((name) => Float64Array.from(series[name]!));
  const members = clusterMembers(clusters, n);
  const capacity = Math.max(n, members.length * Math.max(...members.map((m) => m.length)));
  const to = names.map(() => new Float64Array(capacity));
  const picks = new Uint32Array(capacity);
  let sample: Record<string, number[]> = {};
  let drawn = -1;
  for (let it = 0; it < iterations; it++) {
    let m = 0;
    if (members.length === 1) {
      for (let j = 0; j < n; j++) picks[m++] = Math.floor(random() * n);
    } else {
      for (let c = 0; c < members.length; c++) {
        const rounds = members[Math.floor(random() * members.length)]!;
        for (let j = 0; j < rounds.length; j++) picks[m++] = rounds[Math.floor(random() * rounds.length)]!;
      }
    }
    for (let i = 0; i < from.length; i++) {
      const src = from[i]!;
      const dst = to[i]!;
      for (let j = 0; j < m; j++) dst[j] = src[picks[j]!]!;
    }
    if (m !== drawn) {
      sample = {};
      names.forEach((name, i) => {
        sample[name] = to[i]!.subarray(0, m) as unknown as number[];
      });
      drawn = m;
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

/** Round indices by cluster (one cluster of all rounds without `clusters`). */
function clusterMembers(clusters: readonly number[] | undefined, n: number): number[][] {
  if (clusters === undefined) return [Array.from({ length: n }, (_, i) => i)];
  if (clusters.length !== n) throw new RangeError('one cluster id per round');
  const byId = new Map<number, number[]>();
  clusters.forEach((id, i) => {
    const list = byId.get(id);
    if (list === undefined) byId.set(id, [i]);
    else list.push(i);
  });
  return [...byId.values()];
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
