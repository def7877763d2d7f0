/** The one place the service's configuration becomes the metrics library's options. */
import type { Config } from '../config.ts';
import type { MetricsOptions } from '../metrics/index.ts';

export function metricsOptions(config: Pick<Config, 'metrics' | 'redisUrl' | 'timezone'>): MetricsOptions {
  const m = config.metrics;
  return {
    enabled: m.enabled,
    tokens: m.tokens,
    namespace: m.namespace,
    path: m.path,
    excludePaths: m.excludePaths,
    maxSeries: m.maxSeries,
    slowQueryMs: m.slowQueryMs,
    unansweredAfterMs: m.unansweredAfterMs,
    maxUnanswered: m.maxUnanswered,
    snapshotRedisUrl: m.redisUrl,
    queueRedisUrl: config.redisUrl,
    collectCron: m.collectCron,
    collectorTimeoutMs: m.collectorTimeoutMs,
    queues: m.queues,
    queuePrefix: m.queuePrefix,
    timezone: config.timezone,
  };
}
