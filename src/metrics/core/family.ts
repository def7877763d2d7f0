/**
 * Metric families and their series (the cells that hold numbers).
 *
 * A family finds the series for a list of label values through nested maps keyed by the raw values
 * the caller passes, so a repeated recording costs one map lookup per label and no string building.
 * Only values that pass the label guard unchanged are remembered there, so the lookup cache never
 * holds PII and never grows past a fixed size; everything else takes the slow path, which guards each
 * value, counts what it altered and applies the cardinality cap.
 *
 * Series keys are the guarded values joined with U+0001, which the guard never lets through, so two
 * different label sets cannot share a key (prom-client joins with an unescaped `|`).
 */
import {
  assertLabelName,
  assertMetricName,
  type DropReason,
  guardLabelValue,
  OVERFLOW_VALUE,
  renderLabels,
} from './labels.ts';
import type { MetricDef, MetricType } from './types.ts';
import { WarningCodes, warnOnce } from './warnings.ts';

const KEY_SEPARATOR = '\u0001';

export interface FamilyHooks {
  /** Called for every recording folded into the overflow series. */
  onOverflow(family: string): void;
  /** Called for every label value the guard altered. */
  onDropped(family: string, reason: DropReason): void;
}

const silentHooks: FamilyHooks = { onOverflow() {}, onDropped() {} };

export abstract class Series {
  /** Label values after guarding, in the family's label order. */
  readonly labelValues: readonly string[];
  /** `a="x",b="y"`, rendered once; empty for unlabelled series. */
  readonly labelText: string;
  constructor(labelValues: readonly string[], labelText: string) {
    this.labelValues = labelValues;
    this.labelText = labelText;
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

export class HistogramSeries extends Series {
  /** Non-cumulative counts per bucket; the last slot is the +Inf bucket. */
  readonly counts: Float64Array;
  sum = 0;
  private readonly bounds: Float64Array;
  constructor(labelValues: readonly string[], labelText: string, bounds: Float64Array) {
    super(labelValues, labelText);
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
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
    const bounds = this.bounds;
    const n = bounds.length;
    let i = 0;
    while (i < n && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
  }
  get count(): number {
    let c = 0;
    for (let i = 0; i < this.counts.length; i++) c += this.counts[i]!;
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

  protected abstract create(labelValues: string[], labelText: string): S;

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
      const key = values.join(KEY_SEPARATOR);
      let series = this.series.get(key);
      if (series === undefined) {
        if (this.series.size >= this.maxSeries) return this.overflow();
        series = this.create(values, renderLabels(this.labelNames, values));
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
      return this.create([], '');
    }
  }

  private overflow(): S {
    this.hooks.onOverflow(this.name);
    warnOnce(
      WarningCodes.labelOverflow,
      this.name,
      `${this.name} reached its cap of ${this.maxSeries} label sets; new sets are folded into ${OVERFLOW_VALUE}`,
    );
    const values = this.labelNames.map(() => OVERFLOW_VALUE);
    const key = values.join(KEY_SEPARATOR);
    let series = this.series.get(key);
    if (series === undefined) {
      series = this.create(values, renderLabels(this.labelNames, values));
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
  protected create(values: string[], text: string): CounterSeries {
    return new CounterSeries(values, text);
  }
}

export class GaugeFamily<L extends string = string> extends Family<GaugeSeries, L> {
  readonly type = 'gauge' as const;
  protected create(values: string[], text: string): GaugeSeries {
    return new GaugeSeries(values, text);
  }
}

export class HistogramFamily<L extends string = string> extends Family<HistogramSeries, L> {
  readonly type = 'histogram' as const;
  readonly bounds: Float64Array;
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
  }
  protected create(values: string[], text: string): HistogramSeries {
    return new HistogramSeries(values, text, this.bounds);
  }
}

export type AnyFamily = CounterFamily | GaugeFamily | HistogramFamily;
