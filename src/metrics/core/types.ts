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
}

/** Label names of a metric definition, as a string-literal union. */
export type LabelsOf<D> = D extends MetricDef<infer L> ? L : never;

/** A label object for a definition: every label required, values strings or numbers. */
export type LabelValues<D> = { readonly [K in LabelsOf<D>]: string | number };
