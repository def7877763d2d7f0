// The public surface of the metrics library: `askproai-monitoring/metrics`. The HTTP adapters, the
// scheduled collectors, their scheduler and the database/queue instrumentation have their own entry points
// (package.json `exports`), so a service loads only what it wires.
export * from './catalog.ts';
export * from './cluster.ts';
export { type CollectorOptions, MetricsCollector } from './collector.ts';
export { CONTENT_TYPES, type ExpositionFormat, negotiateFormat } from './core/exposition.ts';
export { LABEL_VALUE_MAX_LENGTH, OVERFLOW_VALUE, REDACTED_VALUE } from './core/labels.ts';
export { DEFAULT_MAX_SERIES, Registry, type RegistryOptions } from './core/registry.ts';
export type { LabelsOf, LabelValues, MetricDef, MetricScope, MetricType } from './core/types.ts';
export { WarningCodes } from './core/warnings.ts';
export { createMetricsEndpoint, type MetricsEndpoint, type MetricsEndpointOptions } from './endpoint.ts';
export { ABORTED_STATUS, HttpMetrics, type HttpMetricsOptions, UNMATCHED_ROUTE } from './http/core.ts';
export { type RuntimeMetrics, registerRuntimeMetrics } from './runtime.ts';
export { createMetrics, type Metrics } from './setup.ts';
