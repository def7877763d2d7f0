/**
 * Start-up of the whole service, in order: webhook secrets (production refuses to start without them),
 * logger (stdout, Loki), error tracking, metrics, database (migrations, demo tenant), webhook queue
 * (when REDIS_URL is set), the app, scheduled monitoring, and the listening socket. `close()` undoes it
 * in reverse. The `serve` command and the tests use the same function.
 */
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import type { Config } from '../config.ts';
import { createMetrics, type Metrics } from '../metrics/index.ts';
import { kyselyQueryLogger } from '../metrics/instrument/index.ts';
import { type AppDeps, buildService } from './app.ts';
import { openDatabase, type ServiceDatabase } from './db/connect.ts';
import { createErrorReporter, type ReportError } from './errors.ts';
import { createServiceLogger, type ServiceLogger } from './logger.ts';
import { metricsOptions } from './metrics-options.ts';
import { type ServiceMonitoring, startServiceMonitoring } from './monitoring.ts';
import { startWebhookQueue, WEBHOOK_QUEUE, type WebhookQueue, type WebhookQueueOptions } from './queue.ts';
import { type ResolvedSecrets, resolveSessionSecret, resolveWebhookSecrets } from './secrets.ts';
import { activeTraceId, type ErrorTracker, initErrorTracker } from './sentry.ts';
import { CALCOM_EVENTS } from './webhooks/calcom.ts';
import type { WebhookPipeline } from './webhooks/pipeline.ts';
import { RETELL_EVENTS } from './webhooks/retell.ts';

export interface StartOptions {
  /** Where log lines go instead of stdout (tests). */
  logDestination?: DestinationStream;
  /** Loki batch interval (tests). */
  lokiIntervalMs?: number;
  /** Queue settings beyond REDIS_URL (tests use a private prefix). */
  queue?: Partial<Omit<WebhookQueueOptions, 'redisUrl'>>;
  /** Skip app.listen (in-process tests use app.inject). */
  listen?: boolean;
  /** Live view settings beyond config (sampling interval, SLO definitions, login redirect). */
  live?: AppDeps['live'];
}

export interface RunningService {
  app: FastifyInstance;
  /** http://host:port, once listening. */
  url: string | undefined;
  config: Config;
  metrics: Metrics;
  database: ServiceDatabase;
  pipeline: WebhookPipeline;
  queue: WebhookQueue | undefined;
  monitoring: ServiceMonitoring | undefined;
  log: ServiceLogger;
  tracker: ErrorTracker;
  secrets: ResolvedSecrets;
  reportError: ReportError;
  close(): Promise<void>;
}

/** The package version, reported as `askproai_build_info{version}`. */
const SERVICE_VERSION: string = createRequire(import.meta.url)('../../package.json').version;

/** Starts the service from typed config. Throws ConfigError for settings that cannot work. */
export async function startService(config: Config, options: StartOptions = {}): Promise<RunningService> {
  const secrets = resolveWebhookSecrets(config);
  const sessionSecret = resolveSessionSecret(config);
  const log = createServiceLogger(config, {
    destination: options.logDestination,
    lokiIntervalMs: options.lokiIntervalMs,
  });
  const logger = log.logger;
  const tracker = initErrorTracker(config, log.scrubber);
  // With Sentry tracing on, request and webhook durations carry the trace id as an exemplar.
  const tracing = tracker.enabled && config.sentry.tracesSampleRate > 0;
  const metrics = createMetrics(metricsOptions(config), tracing ? { traceId: activeTraceId } : {});
  metrics.collector.setBuildInfo(SERVICE_VERSION);
  // Every webhook outcome of every known event exists from the start (at 0): the first rejected
  // delivery after a deploy is an increase the alerts see.
  metrics.collector.startWebhookSeries('retell', [...RETELL_EVENTS, 'other', 'unknown']);
  metrics.collector.startWebhookSeries('calcom', [
    ...CALCOM_EVENTS.map((e) => e.toLowerCase()),
    'other',
    'unknown',
  ]);
  const reportError = createErrorReporter({ logger, collector: metrics.collector, tracker });
  const cleanup: (() => Promise<void> | void)[] = [];
  const closeAll = async () => {
    for (const fn of cleanup.reverse())
      await Promise.resolve()
        .then(fn)
        .catch(() => {});
    cleanup.length = 0;
  };
  cleanup.push(
    () => log.close(),
    () => tracker.close(),
    () => metrics.close(),
  );

  try {
    const database = await openDatabase(config.databaseUrl, {
      log: config.metrics.enabled ? kyselyQueryLogger(metrics.collector) : undefined,
    });
    cleanup.push(() => database.close());

    const service = await buildService({
      config,
      metrics,
      database,
      logger,
      secrets,
      sessionSecret,
      tracker,
      reportError,
      live: options.live,
    });
    cleanup.push(() => service.app.close());

    let queue: WebhookQueue | undefined;
    if (config.redisUrl) {
      try {
        queue = await startWebhookQueue(service.pipeline, metrics.collector, logger, {
          redisUrl: config.redisUrl,
          prefix: config.metrics.queuePrefix,
          ...options.queue,
        });
        const q = queue;
        // Before the app closes, so in-flight jobs finish against an open database.
        cleanup.push(() => q.close());
      } catch (err) {
        reportError({
          type: 'queue_unavailable',
          severity: 'warning',
          error: err,
          message: 'Redis unreachable at start; webhooks run inline',
        });
      }
    }

    const monitoring = await startServiceMonitoring({
      config,
      metrics,
      db: database.db,
      dbDialect: database.dialect,
      dbPool: database.pool,
      redis: queue?.redis,
      queues: [...new Set([...config.metrics.queues, WEBHOOK_QUEUE])],
      logger,
    });
    cleanup.push(() => monitoring.stop());

    let url: string | undefined;
    if (options.listen !== false) {
      const address = await service.app.listen({ port: config.port, host: config.host });
      url = address.replace('0.0.0.0', '127.0.0.1').replace('[::]', '[::1]');
    }
    logger.info(
      {
        url,
        database: database.description,
        webhooks: service.pipeline.mode,
        sentry: tracker.enabled,
        loki: Boolean(log.loki),
      },
      'AskProAI service started',
    );
    return {
      app: service.app,
      url,
      config,
      metrics,
      database,
      pipeline: service.pipeline,
      queue,
      monitoring,
      log,
      tracker,
      secrets,
      reportError,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
