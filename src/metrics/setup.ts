/**
 * One call that wires the library from typed config: registry, collector, runtime metrics, HTTP
 * middleware core and the /api/metrics handler.
 */
import type { Config } from '../config.ts';
import { MetricsCollector } from './collector.ts';
import type { Registry } from './core/registry.ts';
import { createMetricsEndpoint, type MetricsEndpoint } from './endpoint.ts';
import { HttpMetrics } from './http/core.ts';
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

export function createMetrics(config: Pick<Config, 'metrics'>): Metrics {
  const m = config.metrics;
  const registry = createRegistry({ namespace: m.namespace, maxSeries: m.maxSeries });
  const collector = new MetricsCollector(registry, {
    enabled: m.enabled,
    slowQuerySeconds: m.slowQueryMs / 1000,
  });
  const runtime = m.enabled ? registerRuntimeMetrics(registry) : undefined;
  const http = new HttpMetrics(registry, {
    enabled: m.enabled,
    excludePaths: [m.path, ...m.excludePaths],
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
