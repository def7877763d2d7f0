/**
 * The registry: one family per metric definition, hooks that refresh in-process values right before a
 * scrape, and the exposition of it all. It knows no product: the namespace and the label guard's own
 * counters are handed in by whoever wires it (`createRegistry()` in `src/metrics/registry.ts` does so
 * from the catalog).
 */
import { DEFAULTS } from '../defaults.ts';
import {
  type ExpositionFormat,
  type SliceOptions,
  writeFamilies,
  writeFamiliesSliced,
} from './exposition.ts';
import { type AnyFamily, CounterFamily, type FamilyHooks, GaugeFamily, HistogramFamily } from './family.ts';
import type { DropReason } from './labels.ts';
import { aggregationOf, type MetricDef, prefixedName } from './types.ts';
import { WarningCodes, warnOnce } from './warnings.ts';

/** The counters the label guard reports through; without them its reports are dropped. */
export interface GuardCounters {
  /** Recordings folded into the overflow series, by metric. */
  overflow?: MetricDef<'metric', 'counter'>;
  /** Label values replaced or altered, by metric and reason. */
  dropped?: MetricDef<'metric' | 'reason', 'counter'>;
}

export interface RegistryOptions {
  /** Prefix for every metric name; '' (none) by default. */
  namespace?: string;
  /** Default cap on distinct label sets per metric (a definition's own `maxSeries` wins). Default 1,000. */
  maxSeries?: number;
  /** Where the label guard counts overflows and dropped values; registered at construction. */
  guard?: GuardCounters;
}

export const DEFAULT_MAX_SERIES: number = DEFAULTS.maxSeries;
const noop = () => {};

export class Registry {
  readonly namespace: string;
  readonly defaultMaxSeries: number;
  private readonly families = new Map<MetricDef, AnyFamily>();
  private readonly byName = new Map<string, AnyFamily>();
  private readonly collectHooks: Array<{ name: string; fn: () => void }> = [];
  private readonly hooks: FamilyHooks;

  constructor(options: RegistryOptions = {}) {
    this.namespace = options.namespace ?? '';
    this.defaultMaxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
    // Registered before any other family, so they exist before the first report. They are labelled
    // by metric name and a fixed reason: bounded by the definitions registered here.
    const overflow = options.guard?.overflow ? this.counter(options.guard.overflow) : undefined;
    const dropped = options.guard?.dropped ? this.counter(options.guard.dropped) : undefined;
    this.hooks = {
      onOverflow: overflow ? (family: string) => overflow.with1(family).inc() : noop,
      onDropped: dropped ? (family: string, reason: DropReason) => dropped.with2(family, reason).inc() : noop,
    };
  }

  counter<L extends string>(def: MetricDef<L, 'counter'>): CounterFamily<L> {
    return this.family(def, 'counter') as unknown as CounterFamily<L>;
  }

  gauge<L extends string>(def: MetricDef<L, 'gauge'>): GaugeFamily<L> {
    return this.family(def, 'gauge') as unknown as GaugeFamily<L>;
  }

  histogram<L extends string>(def: MetricDef<L, 'histogram'>): HistogramFamily<L> {
    return this.family(def, 'histogram') as unknown as HistogramFamily<L>;
  }

  /** The family of a definition of any type. */
  of(def: MetricDef): AnyFamily {
    return this.family(def, def.type);
  }

  /** Looks a family up by its full exposed name. */
  byFullName(name: string): AnyFamily | undefined {
    return this.byName.get(name);
  }

  /** All families in registration order. */
  all(): IterableIterator<AnyFamily> {
    return this.families.values();
  }

  fullName(def: MetricDef): string {
    return prefixedName(def, this.namespace);
  }

  /**
   * Registers a synchronous, in-memory refresh run before every exposition (runtime gauges).
   * Hooks must not do I/O: a scrape never waits on a database or the network.
   */
  onCollect(name: string, fn: () => void): void {
    this.collectHooks.push({ name, fn });
  }

  /** Renders every family, after `refresh()`. */
  expose(format: ExpositionFormat = 'text'): string {
    this.refresh();
    return writeFamilies(this.families.values(), format);
  }

  /**
   * Renders every family, after `refresh()`, in slices that yield to the event loop (see
   * `writeFamiliesSliced`): the UTF-8 text as a list of buffers. `/api/metrics` serves this.
   */
  exposeSliced(format: ExpositionFormat = 'text', options?: SliceOptions): Promise<Buffer[]> {
    this.refresh();
    return writeFamiliesSliced(this.families.values(), format, options);
  }

  /** Runs the collect hooks (in-memory refresh); a failing hook is reported once and skipped. */
  refresh(): void {
    for (const hook of this.collectHooks) {
      try {
        hook.fn();
      } catch (err) {
        warnOnce(
          WarningCodes.collectFailed,
          hook.name,
          `Metrics refresh "${hook.name}" failed: ${(err as Error).message}`,
        );
      }
    }
  }

  private family(def: MetricDef, type: AnyFamily['type']): AnyFamily {
    const existing = this.families.get(def);
    if (existing) {
      if (existing.type !== type)
        throw new TypeError(`Metric ${existing.name} is a ${existing.type}, not a ${type}`);
      return existing;
    }
    if (def.type !== type)
      throw new TypeError(`Metric ${def.name} is declared as a ${def.type}, not a ${type}`);
    const name = prefixedName(def, this.namespace);
    if (this.byName.has(name)) throw new TypeError(`Metric ${name} is registered twice`);
    if (type === 'counter' && !name.endsWith('_total'))
      throw new TypeError(`Counter ${name} must end in _total`);
    if (type !== 'counter' && name.endsWith('_total'))
      throw new TypeError(`Only counters may end in _total: ${name}`);
    if (type !== 'gauge' && aggregationOf(def) !== 'sum')
      throw new TypeError(
        `${name}: only gauges may aggregate across cluster workers by ${aggregationOf(def)}`,
      );
    const cap = def.maxSeries ?? this.defaultMaxSeries;
    const hooks = this.hooks;
    const family =
      type === 'counter'
        ? new CounterFamily(def, name, cap, hooks)
        : type === 'gauge'
          ? new GaugeFamily(def, name, cap, hooks)
          : new HistogramFamily(def, name, cap, hooks);
    this.families.set(def, family);
    this.byName.set(name, family);
    return family;
  }
}
