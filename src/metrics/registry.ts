/**
 * The registry as this library wires it: the catalog's label-guard counters and the `askproai`
 * namespace unless told otherwise. The engine in `core/` knows neither.
 *
 * ```ts
 * const registry = createRegistry({ namespace: 'askproai', maxSeries: 1000 });
 * ```
 */
import { catalog } from './catalog.ts';
import { Registry } from './core/registry.ts';
import { DEFAULTS } from './defaults.ts';

export interface CreateRegistryOptions {
  /** Metric name prefix; default `askproai`, '' for none. */
  namespace?: string;
  /** Default cap on distinct label sets per metric. Default 1,000. */
  maxSeries?: number;
}

export function createRegistry(options: CreateRegistryOptions = {}): Registry {
  return new Registry({
    namespace: options.namespace ?? DEFAULTS.namespace,
    maxSeries: options.maxSeries ?? DEFAULTS.maxSeries,
    guard: { overflow: catalog.metricsLabelOverflow, dropped: catalog.metricsDroppedLabels },
  });
}
