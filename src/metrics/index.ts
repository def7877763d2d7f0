// The public surface of the metrics library.
export * from './catalog.ts';
export { MetricsCollector, type CollectorOptions } from './collector.ts';
export { Registry, type RegistryOptions, DEFAULT_MAX_SERIES } from './core/registry.ts';
export type { MetricDef, MetricType, MetricScope, LabelsOf, LabelValues } from './core/types.ts';
export { CONTENT_TYPES, type ExpositionFormat, negotiateFormat } from './core/exposition.ts';
export { REDACTED_VALUE, OVERFLOW_VALUE, LABEL_VALUE_MAX_LENGTH } from './core/labels.ts';
export { WarningCodes } from './core/warnings.ts';
export { createMetricsEndpoint, type MetricsEndpoint, type MetricsEndpointOptions } from './endpoint.ts';
export { HttpMetrics, type HttpMetricsOptions, UNMATCHED_ROUTE, ABORTED_STATUS } from './http/core.ts';
export { expressMetrics, expressMetricsEndpoint } from './http/express.ts';
export { fastifyMetrics, fastifyMetricsEndpoint } from './http/fastify.ts';
export { instrumentHandler, nodeMetricsHandler, setRoute } from './http/node.ts';
export { registerRuntimeMetrics } from './runtime.ts';
export { createMetrics, type Metrics } from './setup.ts';
