/** Small statistics and formatting helpers shared by the benchmarks. */

let scratch = new Float64Array(64);

/** Moves the k-th smallest of a[0..n) to a[k], smaller ones before it and larger ones after it. */
function select(a: Float64Array, n: number, k: number): void {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    // Median of three as the pivot, then Hoare's partition.
    const mid = (lo + hi) >> 1;
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) swap(a, i++, j--);
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/**
 * The median of a non-empty list (the mean of the middle two for even lengths). Linear time
 * (selection, not a sort): the bootstrap takes tens of thousands of medians of long series.
 */
export function median(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) throw new RangeError('median of an empty list');
  if (scratch.length < n) scratch = new Float64Array(n * 2);
  const a = scratch;
  for (let i = 0; i < n; i++) a[i] = values[i]!;
  const mid = n >> 1;
  select(a, n, mid);
  if (n % 2 === 1) return a[mid]!;
  // The largest of the lower half is the other middle value.
  let below = a[0]!;
  for (let i = 1; i < mid; i++) if (a[i]! > below) below = a[i]!;
  return (below + a[mid]!) / 2;
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
