/**
 * Per-route numbers for the live view's table: requests, server and client errors and the duration
 * buckets of each route template, summed over method and status, plus snapshots of them every
 * `snapshotEveryMs` so a table can show the last few minutes (rate, error share, quantiles) the way
 * `rate(...[5m])` would.
 *
 * Rows are fixed-size slices of one `Float64Array` per snapshot, at most `maxRoutes` rows; routes past
 * that share one `(other routes)` row. Memory: `slots x maxRoutes x (3 + buckets) x 8` bytes plus the
 * route names, plus one small-integer cache entry per HTTP label set (which the registry's cap bounds),
 * whatever the traffic.
 */
import { catalog } from '../catalog.ts';
import type { CounterFamily, HistogramFamily, Series } from '../core/family.ts';
import type { Registry } from '../core/registry.ts';
import { labelIndexes } from './read.ts';

export const OTHER_ROUTES = '(other routes)';
/** Offsets within a row. */
const REQUESTS = 0;
const SERVER_ERRORS = 1;
const CLIENT_ERRORS = 2;
const BUCKETS = 3;

export interface RouteHistoryOptions {
  maxRoutes: number;
  /** How far back the table looks. */
  windowMs: number;
  snapshotEveryMs: number;
  maxNameLength: number;
}

export interface RouteRow {
  route: string;
  /** Since start, exactly as /api/metrics counts them. */
  requests: number;
  serverErrors: number;
  clientErrors: number;
  /** Non-cumulative bucket counts since start, +Inf last. */
  buckets: Float64Array;
}

export interface RouteWindow {
  route: string;
  requests: number;
  /** Requests, 5xx and 4xx within the window, and its length. */
  windowRequests: number;
  windowServerErrors: number;
  windowClientErrors: number;
  windowSeconds: number;
  /** Non-cumulative bucket counts within the window. */
  windowBuckets: Float64Array;
}

interface Snapshot {
  time: number;
  data: Float64Array;
}

export class RouteHistory {
  readonly bounds: Float64Array;
  private readonly stride: number;
  private readonly maxRoutes: number;
  private readonly options: RouteHistoryOptions;
  private readonly rows = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly slots: Snapshot[] = [];
  private readonly slotCount: number;
  private nextSlot = 0;
  private lastSnapshot = Number.NEGATIVE_INFINITY;
  private readonly requests: CounterFamily;
  private readonly durations: HistogramFamily;
  private readonly requestIdx: number[];
  private readonly durationIdx: number[];
  /**
   * Row and status class of each HTTP series by its label text, packed as `row * 8 + class`. Both HTTP
   * families have the same labels, so one entry serves a series of each; at most their caps' worth.
   */
  private readonly cells = new Map<string, number>();
  private readonly maxCells: number;
  /** The reading of "now", reused (the JS thread never runs two readings at once). */
  private readonly scratch: Float64Array;
  private readonly startedAt: number;

  constructor(registry: Registry, options: RouteHistoryOptions, now: number) {
    this.options = options;
    this.maxRoutes = options.maxRoutes;
    this.requests = registry.counter(catalog.httpRequestsTotal);
    this.durations = registry.histogram(catalog.httpRequestDuration);
    this.bounds = this.durations.bounds;
    this.stride = BUCKETS + this.bounds.length + 1;
    this.requestIdx = labelIndexes(this.requests, ['endpoint', 'status']);
    this.durationIdx = labelIndexes(this.durations, ['endpoint', 'status']);
    this.slotCount = Math.ceil(options.windowMs / options.snapshotEveryMs) + 1;
    this.startedAt = now;
    this.scratch = new Float64Array(this.maxRoutes * this.stride);
    this.maxCells = Math.max(this.requests.maxSeries, this.durations.maxSeries) + 1;
  }

  static bound(options: RouteHistoryOptions, buckets: number): number {
    const slots = Math.ceil(options.windowMs / options.snapshotEveryMs) + 1;
    // Snapshots, the scratch reading, and the names (in the map and the list).
    return (
      (slots + 1) * options.maxRoutes * (BUCKETS + buckets + 1) * 8 +
      options.maxRoutes * options.maxNameLength * 4
    );
  }

  bytes(): number {
    let n = 0;
    for (const s of this.slots) n += s.data.byteLength;
    for (const name of this.names) n += name.length * 4;
    // The cache entries (their keys are the series' own label text), at what memoryBound() charges.
    return n + this.maxRoutes * this.stride * 8 + this.cells.size * 64;
  }

  /** Takes a snapshot when the last one is `snapshotEveryMs` old. */
  maybeSnapshot(now: number): void {
    if (now - this.lastSnapshot < this.options.snapshotEveryMs) return;
    this.lastSnapshot = now;
    let slot = this.slots[this.nextSlot];
    if (slot === undefined) {
      slot = { time: now, data: new Float64Array(this.maxRoutes * this.stride) };
      this.slots.push(slot);
    }
    slot.time = now;
    this.read(slot.data);
    this.nextSlot = (this.nextSlot + 1) % this.slotCount;
  }

  /** Every route now, with its numbers over the window (the oldest snapshot inside it is the baseline). */
  current(now: number): RouteWindow[] {
    const data = this.scratch;
    this.read(data);
    let base: Snapshot | undefined;
    for (const s of this.slots) {
      if (
        s.time >= now - this.options.windowMs &&
        s.time <= now &&
        (base === undefined || s.time < base.time)
      )
        base = s;
    }
    const from = base?.time ?? this.startedAt;
    const out: RouteWindow[] = [];
    const nb = this.bounds.length + 1;
    for (let row = 0; row < this.names.length; row++) {
      const o = row * this.stride;
      const b = base?.data;
      const windowBuckets = new Float64Array(nb);
      for (let k = 0; k < nb; k++) windowBuckets[k] = data[o + BUCKETS + k]! - (b?.[o + BUCKETS + k] ?? 0);
      out.push({
        route: this.names[row]!,
        requests: data[o + REQUESTS]!,
        windowRequests: data[o + REQUESTS]! - (b?.[o + REQUESTS] ?? 0),
        windowServerErrors: data[o + SERVER_ERRORS]! - (b?.[o + SERVER_ERRORS] ?? 0),
        windowClientErrors: data[o + CLIENT_ERRORS]! - (b?.[o + CLIENT_ERRORS] ?? 0),
        windowSeconds: Math.max(0, (now - from) / 1000),
        windowBuckets,
      });
    }
    return out;
  }

  /** Requests, 5xx and non-cumulative bucket counts over all routes now (one pass over the HTTP series). */
  totals(): { requests: number; serverErrors: number; buckets: Float64Array } {
    const data = this.scratch;
    this.read(data);
    const nb = this.bounds.length + 1;
    const buckets = new Float64Array(nb);
    let requests = 0;
    let serverErrors = 0;
    for (let row = 0; row < this.names.length; row++) {
      const o = row * this.stride;
      requests += data[o + REQUESTS]!;
      serverErrors += data[o + SERVER_ERRORS]!;
      for (let k = 0; k < nb; k++) buckets[k]! += data[o + BUCKETS + k]!;
    }
    return { requests, serverErrors, buckets };
  }

  private rowOf(route: string): number {
    let row = this.rows.get(route);
    if (row !== undefined) return row;
    // The last row is reserved for the routes that do not get their own.
    if (this.names.length < this.maxRoutes - 1 && route.length <= this.options.maxNameLength) {
      row = this.names.length;
      this.names.push(route);
    } else {
      row = this.rows.get(OTHER_ROUTES) ?? this.names.length;
      if (row === this.names.length) this.names.push(OTHER_ROUTES);
      this.rows.set(OTHER_ROUTES, row);
      return row;
    }
    this.rows.set(route, row);
    return row;
  }

  private cell(key: string, s: Series, idx: number[]): number {
    let c = this.cells.get(key);
    if (c === undefined) {
      const v = s.labelValues;
      const status = Number(v[idx[1]!]);
      c = this.rowOf(v[idx[0]!] ?? '') * 8 + (status >= 500 ? 5 : status >= 400 ? 4 : 0);
      if (this.cells.size < this.maxCells) this.cells.set(key, c);
    }
    return c;
  }

  private read(data: Float64Array): void {
    data.fill(0);
    const stride = this.stride;
    for (const [key, s] of this.requests.series) {
      const c = this.cell(key, s, this.requestIdx);
      const cls = c & 7;
      const o = (c >>> 3) * stride;
      data[o + REQUESTS]! += s.value;
      if (cls === 5) data[o + SERVER_ERRORS]! += s.value;
      else if (cls === 4) data[o + CLIENT_ERRORS]! += s.value;
    }
    const nb = this.bounds.length + 1;
    for (const [key, s] of this.durations.series) {
      const o = (this.cell(key, s, this.durationIdx) >>> 3) * stride + BUCKETS;
      const src = s.store.data;
      for (let k = 0; k < nb; k++) data[o + k]! += src[s.offset + k]!;
    }
  }
}
