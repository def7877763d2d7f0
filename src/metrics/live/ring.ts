/**
 * The live view's history: a fixed-size ring of samples taken every few seconds over the last hour.
 *
 * Every column is a `Float64Array` of `capacity` slots, allocated once when the column first appears,
 * and there are at most `maxColumns` columns, so the memory is fixed by the options and independent of
 * traffic: more requests change the numbers in the slots, never their count. A column that would pass
 * the cap is refused and counted (`refusedColumns`). Missing values are NaN.
 */

export interface RingOptions {
  /** Slots kept; the oldest sample is overwritten once full. */
  capacity: number;
  /** Cap on distinct columns. */
  maxColumns: number;
  /** Longest column name accepted (names are built from label values, which are bounded too). */
  maxNameLength: number;
}

export class Ring {
  readonly capacity: number;
  readonly maxColumns: number;
  readonly maxNameLength: number;
  /** Sample times, unix milliseconds. */
  private readonly times: Float64Array;
  private readonly columns = new Map<string, Float64Array>();
  private head = 0;
  private count = 0;
  /** Writes to columns refused because the cap was reached or the name was too long. */
  refusedColumns = 0;

  constructor(options: RingOptions) {
    for (const [k, v] of Object.entries(options)) {
      if (!Number.isInteger(v) || v < 1)
        throw new TypeError(`Ring ${k} must be a whole number >= 1, got ${v}`);
    }
    this.capacity = options.capacity;
    this.maxColumns = options.maxColumns;
    this.maxNameLength = options.maxNameLength;
    this.times = new Float64Array(this.capacity);
  }

  /** The most bytes this ring can ever hold in its arrays and column names. */
  static bound(options: RingOptions): number {
    return (1 + options.maxColumns) * options.capacity * 8 + options.maxColumns * options.maxNameLength * 2;
  }

  /** Bytes held now (arrays and names). */
  bytes(): number {
    let n = this.times.byteLength;
    for (const [name, col] of this.columns) n += col.byteLength + name.length * 2;
    return n;
  }

  get size(): number {
    return this.count;
  }

  columnNames(): IterableIterator<string> {
    return this.columns.keys();
  }

  /** Appends one sample; columns not named in `values` read NaN at this time. */
  push(time: number, values: Iterable<readonly [string, number]>): void {
    const i = this.head;
    this.times[i] = time;
    for (const col of this.columns.values()) col[i] = Number.NaN;
    for (const [name, value] of values) {
      const col = this.columns.get(name) ?? this.addColumn(name);
      if (col !== undefined) col[i] = value;
    }
    this.head = (i + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Physical slot of the k-th oldest sample (0 = oldest). */
  private slot(k: number): number {
    return (this.head - this.count + k + this.capacity) % this.capacity;
  }

  time(k: number): number {
    return this.times[this.slot(k)]!;
  }

  /** The value of a column in the k-th oldest sample (NaN when absent). */
  value(name: string, k: number): number {
    const col = this.columns.get(name);
    return col === undefined ? Number.NaN : col[this.slot(k)]!;
  }

  /** Logical index of the oldest sample taken at or after `time` (size when none). */
  firstAtOrAfter(time: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.time(mid) < time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private addColumn(name: string): Float64Array | undefined {
    if (this.columns.size >= this.maxColumns || name.length > this.maxNameLength) {
      this.refusedColumns++;
      return undefined;
    }
    const col = new Float64Array(this.capacity).fill(Number.NaN);
    this.columns.set(name, col);
    return col;
  }
}
