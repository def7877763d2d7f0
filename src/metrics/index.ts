// The public surface of the metrics library: `askproai-monitoring/metrics`. The HTTP adapters, the
// scheduled collectors, their scheduler and the database/queue instrumentation have their own entry points
// (package.json `exports`), so a service loads only what it wires.
export * from './catalog.ts';
export * from './cluster.ts';
export { type CollectorOptions, MetricsCollector } from './collector.ts';
export { CONTENT_TYPES, type ExpositionFormat, negotiateFormat } from './core/exposition.ts';
export { LABEL_VALUE_MAX_LENGTH, OVERFLOW_VALUE, REDACTED_VALUE } from './core/labels.ts';
export { createScrubber, REDACTED, redactText, type Scrubber } from './core/redact.ts';
export { DEFAULT_MAX_SERIES, type GuardCounters, Registry, type RegistryOptions } from './core/registry.ts';
export {
  aggregationOf,
  type ClusterAggregation,
  type LabelsOf,
  type LabelValues,
  type MetricDef,
  type MetricScope,
  type MetricType,
} from './core/types.ts';
export { WarningCodes } from './core/warnings.ts';
export { DEFAULT_EXCLUDED_PATHS, DEFAULTS, redisKeyPrefix } from './defaults.ts';
export {
  createMetricsEndpoint,
  type EndpointResponse,
  isStreamed,
  type MetricsEndpoint,
  type MetricsEndpointOptions,
  type StreamedBody,
  sendBody,
} from './endpoint.ts';
export {
  type Exposition,
  ExpositionParseError,
  readExposition,
  type Sample,
  sampleKey,
  sampleMap,
  samplesOf,
  sampleValue,
} from './exposition-reader.ts';
export { ABORTED_STATUS, HttpMetrics, type HttpMetricsOptions, UNMATCHED_ROUTE } from './http/core.ts';
export type { MetricsOptions } from './options.ts';
export { type CreateRegistryOptions, createRegistry } from './registry.ts';
export { type RuntimeMetrics, registerRuntimeMetrics } from './runtime.ts';
export { type CreateMetricsOptions, createMetrics, type Metrics } from './setup.ts';
export { settleWithin, TimeoutError, type WithTimeoutOptions, withTimeout } from './timeout.ts';
