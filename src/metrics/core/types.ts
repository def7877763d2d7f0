/** The shapes the catalog is written in. Nothing here knows a metric by name. */

export type MetricType = 'counter' | 'gauge' | 'histogram';

/**
 * Where a metric's value comes from, which decides how dashboards and rules aggregate it:
 * - `process`: recorded by every instance; sum across instances (`sum by (...)`).
 * - `cluster`: one value for the whole platform (read from a database or queue by the scheduled
 *   collector and served identically by every instance); aggregate with `max by (...)` so that N
 *   instances never multiply it.
 */
export type MetricScope = 'process' | 'cluster';

/**
 * How the primary of a Node cluster merges a metric from its workers (see `src/metrics/cluster.ts`):
 * - `sum`: add the workers' values (counters, histograms, per-process gauges such as memory);
 * - `max`: take the largest (a platform-wide value every worker serves, info gauges, timestamps);
 * - `min`: take the smallest.
 * Counters and histograms always sum.
 */
export type ClusterAggregation = 'sum' | 'max' | 'min';

export interface MetricDef<L extends string = string, T extends MetricType = MetricType> {
  /** Name without the namespace prefix, e.g. `http_requests_total`. */
  readonly name: string;
  readonly type: T;
  readonly help: string;
  readonly labels: readonly L[];
  /** Histogram upper bounds in seconds (or the metric's unit), ascending, without +Inf. */
  readonly buckets?: readonly number[];
  /** Cap on distinct label sets; past it new sets fold into one overflow series. Default 1,000. */
  readonly maxSeries?: number;
  readonly scope?: MetricScope;
  /** Merging across cluster workers; default `max` for `scope: 'cluster'`, else `sum`. */
  readonly aggregate?: ClusterAggregation;
}

/** How a definition merges across cluster workers, as declared (or defaulted from its scope). */
export function aggregationOf(def: MetricDef): ClusterAggregation {
  return def.aggregate ?? (def.scope === 'cluster' ? 'max' : 'sum');
}

/** The exposed name: `namespace_name`, or the bare name for an empty namespace. */
export function prefixedName(def: MetricDef, namespace: string): string {
  return namespace ? `${namespace}_${def.name}` : def.name;
}

/** Label names of a metric definition, as a string-literal union. */
export type LabelsOf<D> = D extends MetricDef<infer L> ? L : never;

/** A label object for a definition: every label required, values strings or numbers. */
export type LabelValues<D> = { readonly [K in LabelsOf<D>]: string | number };
