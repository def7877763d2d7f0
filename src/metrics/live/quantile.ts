/**
 * `histogram_quantile` as Prometheus computes it (promql/quantile.go, `bucketQuantile`), so the live
 * view and a Grafana panel over the same buckets show the same number:
 *
 * - buckets are cumulative counts by upper bound, the last one +Inf; without +Inf the answer is NaN;
 * - fewer than two buckets, or no observations: NaN;
 * - the rank `q * count` falls in the first bucket whose cumulative count reaches it, and the value is
 *   interpolated linearly between that bucket's lower and upper bound (the lower bound of the first
 *   bucket is 0, unless its upper bound is <= 0, which is returned as is);
 * - a rank in the +Inf bucket answers the highest finite upper bound;
 * - q < 0 is -Inf, q > 1 is +Inf, q NaN is NaN.
 */

/** Cumulative count of observations at or below `le`; the last one's `le` is +Infinity. */
export interface CumulativeBucket {
  le: number;
  count: number;
}

export function histogramQuantile(q: number, input: readonly CumulativeBucket[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const sorted = [...input].sort((a, b) => a.le - b.le);
  if (sorted.length === 0 || sorted[sorted.length - 1]!.le !== Number.POSITIVE_INFINITY) return Number.NaN;
  // coalesceBuckets: equal upper bounds add up.
  const buckets: CumulativeBucket[] = [];
  for (const b of sorted) {
    const last = buckets[buckets.length - 1];
    if (last !== undefined && last.le === b.le) last.count += b.count;
    else buckets.push({ le: b.le, count: b.count });
  }
  // ensureMonotonic: a count below its predecessor (a reset between reads) is raised to it.
  for (let i = 1; i < buckets.length; i++) {
    if (buckets[i]!.count < buckets[i - 1]!.count) buckets[i]!.count = buckets[i - 1]!.count;
  }
  if (buckets.length < 2) return Number.NaN;
  const observations = buckets[buckets.length - 1]!.count;
  if (observations === 0) return Number.NaN;
  let rank = q * observations;
  // sort.Search over all but the +Inf bucket: the first whose count reaches the rank.
  let b = 0;
  while (b < buckets.length - 1 && buckets[b]!.count < rank) b++;
  if (b === buckets.length - 1) return buckets[buckets.length - 2]!.le;
  if (b === 0 && buckets[0]!.le <= 0) return buckets[0]!.le;
  let start = 0;
  const end = buckets[b]!.le;
  let count = buckets[b]!.count;
  if (b > 0) {
    start = buckets[b - 1]!.le;
    count -= buckets[b - 1]!.count;
    rank -= buckets[b - 1]!.count;
  }
  return start + (end - start) * (rank / count);
}

/**
 * The quantile of non-cumulative counts (the registry's layout: one slot per bound, +Inf last) against
 * the family's finite bounds.
 */
export function quantileOfCounts(q: number, bounds: ArrayLike<number>, counts: ArrayLike<number>): number {
  const buckets: CumulativeBucket[] = new Array(bounds.length + 1);
  let acc = 0;
  for (let i = 0; i <= bounds.length; i++) {
    acc += counts[i] ?? 0;
    buckets[i] = { le: i < bounds.length ? bounds[i]! : Number.POSITIVE_INFINITY, count: acc };
  }
  return histogramQuantile(q, buckets);
}
