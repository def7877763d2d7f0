/**
 * One call that wires the library from its options: registry, collector, runtime metrics, HTTP
 * middleware core and the /api/metrics handler. `enabled: false` is decided here, once, for all of
 * them: the endpoint answers 404, recording and the HTTP middleware are no-ops.
 */
import { MetricsCollector } from './collector.ts';
import type { Registry } from './core/registry.ts';
import { DEFAULTS } from './defaults.ts';
import { createMetricsEndpoint, type MetricsEndpoint } from './endpoint.ts';
import { HttpMetrics } from './http/core.ts';
import type { MetricsOptions } from './options.ts';
import { createRegistry } from './registry.ts';
import { type RuntimeMetrics, registerRuntimeMetrics } from './runtime.ts';

export interface Metrics {
  registry: Registry;
  collector: MetricsCollector;
  http: HttpMetrics;
  endpoint: MetricsEndpoint;
  runtime: RuntimeMetrics | undefined;
  close(): void;
}

export interface CreateMetricsOptions {
  /** The active trace's id when tracing is on; duration histograms then keep it as an exemplar. */
  traceId?: () => string | undefined;
}

export function createMetrics(options: MetricsOptions, extra: CreateMetricsOptions = {}): Metrics {
  const enabled = options.enabled ?? true;
  const traceId = enabled ? extra.traceId : undefined;
  const registry = createRegistry({ namespace: options.namespace, maxSeries: options.maxSeries });
  const collector = new MetricsCollector(registry, {
    enabled,
    slowQuerySeconds: (options.slowQueryMs ?? DEFAULTS.slowQueryMs) / 1000,
    ...(traceId ? { traceId } : {}),
  });
  const runtime = enabled ? registerRuntimeMetrics(registry) : undefined;
  const http = new HttpMetrics(registry, {
    enabled,
    excludePaths: [options.path ?? DEFAULTS.metricsPath, ...(options.excludePaths ?? DEFAULTS.excludePaths)],
    // HttpMetrics falls back to DEFAULTS for both.
    unansweredAfterMs: options.unansweredAfterMs,
    maxUnanswered: options.maxUnanswered,
    ...(traceId ? { traceId } : {}),
  });
  const endpoint = createMetricsEndpoint({ registry, tokens: [...options.tokens], enabled });
  return {
    registry,
    collector,
    http,
    endpoint,
    runtime,
    close() {
      runtime?.stop();
    },
  };
}
