/**
 * Metric families and their series (the cells that hold numbers).
 *
 * A family finds the series for a list of label values through nested maps keyed by the raw values
 * the caller passes, so a repeated recording costs one map lookup per label and no string building.
 * Only values that pass the label guard unchanged are remembered there, so the lookup cache never
 * holds PII and never grows past a fixed size; everything else takes the slow path, which guards each
 * value, counts what it altered and applies the cardinality cap.
 *
 * Series are keyed by their rendered label text (`a="x",b="y"`), built from guarded and escaped
 * values, so two different label sets cannot share a key (prom-client joins values with an unescaped
 * `|`), and the key doubles as the text the writers print. A histogram's bucket counts live in one
 * growable array per family, each series holding an offset into it: a typed array per series would
 * cost more than the counts themselves.
 */
import {
  assertLabelName,
  assertMetricName,
  type DropReason,
  guardLabelValue,
  OVERFLOW_VALUE,
  parseLabelText,
  renderLabels,
} from './labels.ts';
import type { MetricDef, MetricType } from './types.ts';
import { WarningCodes, warnOnce } from './warnings.ts';

export interface FamilyHooks {
  /** Called for every recording folded into the overflow series. */
  onOverflow(family: string): void;
  /** Called for every label value the guard altered. */
  onDropped(family: string, reason: DropReason): void;
}

const silentHooks: FamilyHooks = { onOverflow() {}, onDropped() {} };

export abstract class Series {
  /** `a="x",b="y"`, rendered once; empty for unlabelled series. */
  readonly labelText: string;
  constructor(labelText: string) {
    this.labelText = labelText;
  }
  /** Label values after guarding, in the family's label order (parsed back from the label text). */
  get labelValues(): string[] {
    return parseLabelText(this.labelText);
  }
}

export class CounterSeries extends Series {
  value = 0;
  inc(by = 1): void {
    if (typeof by === 'number' && by >= 0 && by !== Number.POSITIVE_INFINITY) this.value += by;
    else
      warnOnce(
        WarningCodes.valueInvalid,
        'counter',
        `Counter increment must be a finite number >= 0, got ${typeof by === 'number' ? by : typeof by}`,
      );
  }
}

export class GaugeSeries extends Series {
  value = 0;
  set(value: number): void {
    if (typeof value === 'number' && !Number.isNaN(value)) this.value = value;
    else
      warnOnce(
        WarningCodes.valueInvalid,
        'gauge',
        `Gauge value must be a number, got ${typeof value === 'number' ? 'NaN' : typeof value}`,
      );
  }
  inc(by = 1): void {
    if (typeof by === 'number' && !Number.isNaN(by)) this.value += by;
  }
  dec(by = 1): void {
    if (typeof by === 'number' && !Number.isNaN(by)) this.value -= by;
  }
}

/** The bucket counts of every series of one histogram family, `stride` slots per series. */
export class BucketStore {
  data: Float64Array;
  readonly bounds: Float64Array;
  readonly stride: number;
  private used = 0;
  constructor(bounds: Float64Array) {
    this.bounds = bounds;
    this.stride = bounds.length + 1;
    this.data = new Float64Array(this.stride * 8);
  }
  /** Reserves the slots of one more series and returns their offset. */
  allocate(): number {
    if (this.used + this.stride > this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    const offset = this.used;
    this.used += this.stride;
    return offset;
  }
}

/** An OpenMetrics exemplar: the trace of one observation, shown beside the bucket it fell into. */
export interface Exemplar {
  readonly traceId: string;
  readonly value: number;
  /** Unix time in ms. */
  readonly timeMs: number;
}

/** A bucket's exemplar is replaced by a newer observation once it is this old (ms). */
export const EXEMPLAR_REFRESH_MS = 10_000;
/** W3C / OpenTelemetry trace ids: 32 lowercase hex digits (Sentry's are the same). */
const TRACE_ID_LENGTH = 32;

function isTraceId(id: string): boolean {
  if (id.length !== TRACE_ID_LENGTH) return false;
  for (let i = 0; i < TRACE_ID_LENGTH; i++) {
    const c = id.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

export class HistogramSeries extends Series {
  sum = 0;
  /** Exemplars by bucket slot (+Inf last), created by the first observation that carries one. */
  exemplars: Array<Exemplar | undefined> | undefined = undefined;
  /** Where this series' non-cumulative bucket counts start in `store.data`; the last slot is +Inf. */
  readonly offset: number;
  readonly store: BucketStore;
  constructor(labelText: string, store: BucketStore) {
    super(labelText);
    this.store = store;
    this.offset = store.allocate();
  }
  observe(value: number): void {
    if (typeof value !== 'number' || Number.isNaN(value)) {
      warnOnce(
        WarningCodes.valueInvalid,
        'histogram',
        `Histogram observation must be a number, got ${typeof value === 'number' ? 'NaN' : typeof value}`,
      );
      return;
    }
    const store = this.store;
    const bounds = store.bounds;
    const n = bounds.length;
    let i = 0;
    while (i < n && value > bounds[i]!) i++;
    store.data[this.offset + i]!++;
    this.sum += value;
  }
  /**
   * Observes like `observe` and keeps `traceId` as the exemplar of the bucket the value fell into,
   * unless that bucket has one younger than EXEMPLAR_REFRESH_MS: at most one exemplar per bucket,
   * refreshed by time. Ids that are not trace ids are not kept.
   */
  observeTraced(value: number, traceId: string | undefined, nowMs: number): void {
    this.observe(value);
    if (traceId === undefined || typeof value !== 'number' || Number.isNaN(value)) return;
    const bounds = this.store.bounds;
    const n = bounds.length;
    let i = 0;
    while (i < n && value > bounds[i]!) i++;
    if (this.exemplars === undefined) this.exemplars = new Array(this.store.stride);
    const exemplars = this.exemplars;
    const current = exemplars[i];
    if (current !== undefined && nowMs - current.timeMs < EXEMPLAR_REFRESH_MS) return;
    if (isTraceId(traceId)) exemplars[i] = { traceId, value, timeMs: nowMs };
  }
  /** A copy of the non-cumulative bucket counts, +Inf last. */
  get counts(): Float64Array {
    return this.store.data.slice(this.offset, this.offset + this.store.stride);
  }
  /** Adds non-cumulative bucket counts (cluster aggregation). */
  addCounts(counts: ArrayLike<number>): void {
    const data = this.store.data;
    const n = Math.min(counts.length, this.store.stride);
    for (let i = 0; i < n; i++) data[this.offset + i]! += counts[i]!;
  }
  get count(): number {
    const data = this.store.data;
    let c = 0;
    for (let i = 0; i < this.store.stride; i++) c += data[this.offset + i]!;
    return c;
  }
}

type LabelInput = string | number;
// biome-ignore lint/suspicious/noExplicitAny: nested lookup maps end in series.
type Lookup = Map<LabelInput, any>;

export abstract class Family<S extends Series = Series, L extends string = string> {
  readonly name: string;
  readonly help: string;
  abstract readonly type: MetricType;
  readonly labelNames: readonly L[];
  readonly maxSeries: number;
  readonly def: MetricDef<L>;
  /** Every series, by collision-free key. Writers iterate this. */
  readonly series = new Map<string, S>();
  private lookup: Lookup = new Map();
  private lookupSize = 0;
  private readonly lookupLimit: number;
  private readonly hooks: FamilyHooks;
  private unlabelled: S | undefined;

  constructor(def: MetricDef<L>, fullName: string, maxSeries: number, hooks: FamilyHooks = silentHooks) {
    assertMetricName(fullName);
    for (const l of def.labels) assertLabelName(fullName, l);
    if (new Set(def.labels).size !== def.labels.length)
      throw new TypeError(`Duplicate label names on metric ${fullName}`);
    if (!Number.isInteger(maxSeries) || maxSeries < 1)
      throw new TypeError(`Invalid maxSeries for ${fullName}: ${maxSeries}`);
    this.def = def;
    this.name = fullName;
    this.help = def.help;
    this.labelNames = def.labels;
    this.maxSeries = maxSeries;
    this.hooks = hooks;
    // Room for clean raw spellings of the series (e.g. 200 and '200'); past it, lookups still work.
    this.lookupLimit = maxSeries * 2 + 16;
  }

  protected abstract create(labelText: string): S;

  /** The series of an unlabelled family. */
  get(): S {
    if (this.unlabelled === undefined) this.unlabelled = this.resolve([]);
    return this.unlabelled;
  }

  with1(a: LabelInput): S {
    const s = this.lookup.get(a);
    return s !== undefined ? s : this.resolve([a]);
  }

  with2(a: LabelInput, b: LabelInput): S {
    const m = this.lookup.get(a);
    if (m !== undefined) {
      const s = m.get(b);
      if (s !== undefined) return s;
    }
    return this.resolve([a, b]);
  }

  with3(a: LabelInput, b: LabelInput, c: LabelInput): S {
    const m = this.lookup.get(a);
    if (m !== undefined) {
      const n = m.get(b);
      if (n !== undefined) {
        const s = n.get(c);
        if (s !== undefined) return s;
      }
    }
    return this.resolve([a, b, c]);
  }

  /** The series for label values in the family's label order (any number of labels). */
  labels(...values: LabelInput[]): S {
    let node: Lookup | S | undefined = this.lookup;
    for (let i = 0; i < values.length && node !== undefined; i++) node = (node as Lookup).get(values[i]!);
    if (node !== undefined && values.length === this.labelNames.length && node instanceof Series)
      return node as S;
    return this.resolve(values);
  }

  /** The series for a label object, checked against the definition's label names. */
  labelsFrom(values: Readonly<Record<L, LabelInput>>): S {
    return this.resolve(this.labelNames.map((l) => values[l]!));
  }

  /** Drops every series (gauges refreshed from a snapshot use this before setting new values). */
  clear(): void {
    this.series.clear();
    this.lookup = new Map();
    this.lookupSize = 0;
    this.unlabelled = undefined;
  }

  /** The slow path: guard, count alterations, cap, create, remember clean spellings. */
  private resolve(raw: LabelInput[]): S {
    try {
      const n = this.labelNames.length;
      if (raw.length !== n) {
        warnOnce(
          WarningCodes.labelInvalid,
          `${this.name}:arity`,
          `${this.name} takes ${n} label value(s) (${this.labelNames.join(', ')}), got ${raw.length}`,
        );
      }
      const values: string[] = new Array(n);
      let clean = raw.length === n;
      for (let i = 0; i < n; i++) {
        const input = raw[i];
        const g = guardLabelValue(input);
        values[i] = g.value;
        if (g.reason !== null) {
          clean = false;
          this.hooks.onDropped(this.name, g.reason);
          if (g.reason === 'email' || g.reason === 'phone') {
            warnOnce(
              WarningCodes.labelRedacted,
              `${this.name}:${this.labelNames[i]}`,
              `A value of label "${this.labelNames[i]}" on ${this.name} looked like a ${g.reason === 'email' ? 'e-mail address' : 'phone number'} and was replaced`,
            );
          }
        } else if (input !== g.value && typeof input !== 'number') {
          clean = false; // trimmed
        }
      }
      const key = renderLabels(this.labelNames, values);
      let series = this.series.get(key);
      if (series === undefined) {
        if (this.series.size >= this.maxSeries) return this.overflow();
        series = this.create(key);
        this.series.set(key, series);
      }
      if (clean && this.lookupSize < this.lookupLimit) this.remember(raw, series);
      return series;
    } catch (err) {
      warnOnce(
        WarningCodes.labelInvalid,
        `${this.name}:error`,
        `Recording on ${this.name} failed: ${(err as Error).message}`,
      );
      return this.create('');
    }
  }

  private overflow(): S {
    this.hooks.onOverflow(this.name);
    warnOnce(
      WarningCodes.labelOverflow,
      this.name,
      `${this.name} reached its cap of ${this.maxSeries} label sets; new sets are folded into ${OVERFLOW_VALUE}`,
    );
    const key = renderLabels(
      this.labelNames,
      this.labelNames.map(() => OVERFLOW_VALUE),
    );
    let series = this.series.get(key);
    if (series === undefined) {
      series = this.create(key);
      this.series.set(key, series);
    }
    return series;
  }

  private remember(raw: LabelInput[], series: S): void {
    if (raw.length === 0) return;
    let node = this.lookup;
    for (let i = 0; i < raw.length - 1; i++) {
      let next = node.get(raw[i]!);
      if (next === undefined) {
        next = new Map();
        node.set(raw[i]!, next);
      }
      node = next;
    }
    const last = raw[raw.length - 1]!;
    if (!node.has(last)) {
      node.set(last, series);
      this.lookupSize++;
    }
  }
}

export class CounterFamily<L extends string = string> extends Family<CounterSeries, L> {
  readonly type = 'counter' as const;
  protected create(text: string): CounterSeries {
    return new CounterSeries(text);
  }
}

export class GaugeFamily<L extends string = string> extends Family<GaugeSeries, L> {
  readonly type = 'gauge' as const;
  protected create(text: string): GaugeSeries {
    return new GaugeSeries(text);
  }
}

export class HistogramFamily<L extends string = string> extends Family<HistogramSeries, L> {
  readonly type = 'histogram' as const;
  readonly bounds: Float64Array;
  private store: BucketStore;
  constructor(def: MetricDef<L>, fullName: string, maxSeries: number, hooks?: FamilyHooks) {
    super(def, fullName, maxSeries, hooks);
    const buckets = def.buckets;
    if (!buckets || buckets.length === 0) throw new TypeError(`Histogram ${fullName} needs buckets`);
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i]!;
      if (!Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]!)) {
        throw new TypeError(
          `Histogram ${fullName} buckets must be finite and strictly ascending, got ${buckets.join(', ')}`,
        );
      }
    }
    this.bounds = Float64Array.from(buckets);
    this.store = new BucketStore(this.bounds);
  }
  protected create(text: string): HistogramSeries {
    return new HistogramSeries(text, this.store);
  }

  override clear(): void {
    super.clear();
    this.store = new BucketStore(this.bounds);
  }
}

export type AnyFamily = CounterFamily | GaugeFamily | HistogramFamily;
