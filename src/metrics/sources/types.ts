/**
 * The collector plugin contract. A source reads one backend (a database, Redis) and returns samples
 * for catalog metrics; the scheduler runs it on its own timeout and turns the samples into gauges.
 *
 * ```ts
 * const openInvoices: MetricSource = {
 *   name: 'invoices',
 *   metrics: [catalog.openInvoices],
 *   async collect() {
 *     const n = await countOpenInvoices();
 *     return [{ metric: catalog.openInvoices, value: n }];
 *   },
 * };
 * ```
 */
import type { MetricDef } from '../core/types.ts';

/** One value for one series of a catalog metric. */
export interface Sample {
  /** The catalog definition, e.g. `catalog.queueSize`. */
  metric: MetricDef;
  /** Label values in the definition's label order; omit for unlabelled metrics. */
  labels?: readonly string[];
  value: number;
}

export interface MetricSource {
  /** Short stable id used as the `collector` label and in the CLI table, e.g. `queues`. */
  readonly name: string;
  /**
   * Every metric this source may set. Their gauges are cleared before each successful run is applied,
   * so series that vanished (a deleted queue) disappear instead of showing their last value forever.
   */
  readonly metrics: readonly MetricDef[];
  /** Cut-off for one run in milliseconds; default METRICS_COLLECTOR_TIMEOUT_MS (10 s). */
  readonly timeoutMs?: number;
  /**
   * Set when the backend this source needs is not configured (e.g. queues without REDIS_URL): the
   * source is then reported as "not configured" with this reason, never run and never a failure.
   */
  readonly notConfigured?: string;
  /** Reads the backend. Must honour `signal` where it can; the scheduler stops waiting at the timeout. */
  collect(signal: AbortSignal): Promise<Sample[]>;
}

/** A source setting that cannot work; the message names the setting. Thrown at construction. */
export class SourceConfigError extends Error {
  override name = 'SourceConfigError';
}

/** A source that reports "not configured" with a reason, for backends that are absent on purpose. */
export function notConfiguredSource(
  name: string,
  metrics: readonly MetricDef[],
  reason: string,
): MetricSource {
  return {
    name,
    metrics,
    notConfigured: reason,
    async collect() {
      return [];
    },
  };
}
