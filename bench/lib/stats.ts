/** Small statistics and formatting helpers shared by the benchmarks. */

/** The median of a non-empty list (the mean of the middle two for even lengths). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Rounds to a fixed number of decimals without float noise in the output. */
export function round(value: number, decimals = 2): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

/** `ours / peer`, rounded; values below 1 mean ours is faster or smaller. */
export function ratio(ours: number, peer: number): number {
  return round(ours / peer, 3);
}
