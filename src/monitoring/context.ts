/**
 * What every generator receives: the validated configuration, the metric names of its namespace and
 * the selector of the service's job.
 */
import {
  catalog,
  HTTP_BUCKETS,
  JOB_BUCKETS,
  PAGE_LOAD_BUCKETS,
  QUERY_BUCKETS,
  WEBHOOK_BUCKETS,
} from '../metrics/catalog.ts';
import { type MonitoringConfig, monitoringConfig, validateConfig } from './config.ts';
import { eq, type Names, names } from './promql.ts';

export interface Context {
  config: MonitoringConfig;
  n: Names;
  /** `job="askproai"`: the matcher every query on the service's own metrics starts with. */
  job: string;
}

/** Validates `config` (throws naming every bad setting) and builds the generators' context. */
export function createContext(config: MonitoringConfig = monitoringConfig): Context {
  validateConfig(config, {
    apiLatencyWarningSeconds: HTTP_BUCKETS,
    apiLatencyCriticalSeconds: HTTP_BUCKETS,
    adminPageLoadSeconds: PAGE_LOAD_BUCKETS,
    webhookSeconds: WEBHOOK_BUCKETS,
    queryTimeSeconds: QUERY_BUCKETS,
    jobTimeoutSeconds: JOB_BUCKETS,
  });
  // The catalog must still declare the buckets the thresholds were checked against.
  if (catalog.httpRequestDuration.buckets !== HTTP_BUCKETS) throw new Error('HTTP histogram buckets changed');
  return { config, n: names(config.namespace), job: eq('job', config.jobs.service) };
}
