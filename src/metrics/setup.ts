/**
 * One call that wires the library from typed config: registry, collector, runtime metrics, HTTP
 * middleware core and the /api/metrics handler.
 */
import type { Config } from '../config.ts';
import { MetricsCollector } from './collector.ts';
import { Registry } from './core/registry.ts';
import { createMetricsEndpoint, type MetricsEndpoint } from './endpoint.ts';
import { HttpMetrics } from './http/core.ts';
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

export function createMetrics(config: Pick<Config, 'metrics'>, options: CreateMetricsOptions = {}): Metrics {
  const m = config.metrics;
  const traceId = m.enabled ? options.traceId : undefined;
  const registry = new Registry({ namespace: m.namespace, maxSeries: m.maxSeries });
  const collector = new MetricsCollector(registry, {
    enabled: m.enabled,
    slowQuerySeconds: m.slowQueryMs / 1000,
    ...(traceId ? { traceId } : {}),
  });
  const runtime = m.enabled ? registerRuntimeMetrics(registry) : undefined;
  const http = new HttpMetrics(registry, {
    excludePaths: [m.path, ...m.excludePaths],
    ...(traceId ? { traceId } : {}),
  });
  const endpoint = createMetricsEndpoint({ registry, tokens: m.tokens, enabled: m.enabled });
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
