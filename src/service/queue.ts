/**
 * The webhook queue: with REDIS_URL, verified deliveries are stored in a BullMQ queue (`webhooks`) and a
 * worker in the same process applies them, retrying failures with backoff. The shared BullMQ
 * instrumentation records the job metrics (processed, duration, wait, timeouts past 30 s); the worker
 * records the webhook metrics once a job is done.
 */
import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { type MetricsCollector, settleWithin } from '../metrics/index.ts';
import { instrumentWorker, withTimeLimit } from '../metrics/instrument/index.ts';
import { createMonitorRedis, redisErrorHandler } from '../metrics/schedule/index.ts';
import type { Logger } from './logger.ts';
import type { WebhookJob, WebhookPipeline } from './webhooks/pipeline.ts';

/** How long a job that exhausted its attempts stays in Redis for inspection. */
export const FAILED_JOB_RETENTION_SECONDS = 24 * 60 * 60;

export const WEBHOOK_QUEUE = 'webhooks';
/** How long shutdown waits for running jobs. */
const CLOSE_TIMEOUT_MS = 5000;

export interface WebhookQueueOptions {
  redisUrl: string;
  /** BullMQ key prefix (default `bull`); tests use a private one. */
  prefix?: string;
  /** Jobs run at once (default 4). */
  concurrency?: number;
  /** Attempts per job before it counts as failed (default 3). */
  attempts?: number;
  /** First retry delay in ms, doubled per attempt (default 500). */
  backoffMs?: number;
  /** Time limit per job in ms (default 30 000, the spec's job timeout). */
  jobTimeLimitMs?: number;
}

export interface WebhookQueue {
  queue: Queue<WebhookJob>;
  worker: Worker<WebhookJob>;
  /** The connections, for the queue collectors. */
  redis: Redis;
  close(): Promise<void>;
}

/**
 * Connects the pipeline to a BullMQ queue and starts its worker. Adding a job fails fast while Redis
 * is unreachable (the pipeline then processes inline).
 */
export async function startWebhookQueue(
  pipeline: WebhookPipeline,
  collector: MetricsCollector,
  logger: Logger,
  options: WebhookQueueOptions,
): Promise<WebhookQueue> {
  const prefix = options.prefix ?? 'bull';
  // The queue side must not wait for a reconnect inside a request; the worker may wait forever. Both
  // are the monitored connections the collectors use: an outage is logged once, never swallowed.
  const queueRedis = createMonitorRedis(options.redisUrl, { role: 'queues', logger, lazyConnect: true });
  const workerRedis = createMonitorRedis(options.redisUrl, { role: 'queue-worker', logger, blocking: true });
  // BullMQ opens more connections of its own by duplicating these (the worker's blocking one). Its close
  // disconnects them only when it completes, and during a Redis outage it may never complete: keep
  // them, so shutdown can drop them too instead of leaving one reconnecting forever.
  const duplicates = trackDuplicates(queueRedis, workerRedis);
  try {
    await queueRedis.connect();
  } catch (err) {
    queueRedis.disconnect();
    workerRedis.disconnect();
    throw err;
  }

  const queue = new Queue<WebhookJob>(WEBHOOK_QUEUE, { connection: queueRedis, prefix });
  queue.on('error', redisErrorHandler(queueRedis));
  const attempts = options.attempts ?? 3;

  const worker = new Worker<WebhookJob>(
    WEBHOOK_QUEUE,
    withTimeLimit<WebhookJob, string, string>(
      async function processWebhookJob(job) {
        const t0 = performance.now();
        const outcome = await pipeline.process(job.data, false);
        collector.recordWebhook(job.data.provider, job.data.event, outcome, (performance.now() - t0) / 1000);
        return outcome;
      },
      { queue: WEBHOOK_QUEUE, collector, limitMs: options.jobTimeLimitMs },
    ),
    { connection: workerRedis, prefix, concurrency: options.concurrency ?? 4, autorun: true },
  );
  const uninstrument = instrumentWorker(worker, collector, { queue: WEBHOOK_QUEUE });
  worker.on('error', redisErrorHandler(workerRedis));
  worker.on('failed', (job, err) => {
    if (!job) return;
    const seconds = job.processedOn
      ? Math.max(0, (job.finishedOn ?? Date.now()) - job.processedOn) / 1000
      : 0;
    if (job.attemptsMade >= (job.opts.attempts ?? 1)) void pipeline.jobFailed(job.data, err, logger, seconds);
    else
      logger.warn(
        { err, provider: job.data.provider, event: job.data.event, attempt: job.attemptsMade },
        'webhook job failed; retrying',
      );
  });

  pipeline.useQueue(async (job) => {
    await queue.add(`${job.provider}.${job.event}`, job, {
      jobId: job.deliveryId,
      attempts,
      backoff: { type: 'exponential', delay: options.backoffMs ?? 500 },
      // The job holds the validated body (unknown fields are dropped at validation, so no transcript
      // or organizer data): it leaves Redis as soon as it is done, and a failed one after a day.
      removeOnComplete: true,
      removeOnFail: { age: FAILED_JOB_RETENTION_SECONDS },
    });
  });

  let closing: Promise<void> | undefined;
  return {
    queue,
    worker,
    redis: queueRedis,
    close: () => {
      closing ??= (async () => {
        pipeline.useQueue(undefined);
        // With Redis reachable, let running jobs finish; without it BullMQ would wait for a reconnect.
        const reachable = workerRedis.status === 'ready' && queueRedis.status === 'ready';
        const graceful = (async () => {
          await worker.close(!reachable).catch(() => {});
          await queue.close().catch(() => {});
        })();
        await settleWithin(graceful, reachable ? CLOSE_TIMEOUT_MS : 200);
        uninstrument();
        for (const client of [queueRedis, workerRedis, ...duplicates]) {
          // BullMQ's unfinished close may still call connect() on one of them: with no retry left, that
          // attempt ends there instead of starting a reconnect loop that keeps the process alive.
          client.options.retryStrategy = () => null;
          client.disconnect();
        }
      })();
      return closing;
    },
  };
}

/** Records every connection duplicated from `clients` (BullMQ's own), in the returned list. */
function trackDuplicates(...clients: Redis[]): Redis[] {
  const made: Redis[] = [];
  for (const client of clients) {
    const duplicate = client.duplicate.bind(client);
    client.duplicate = (...args: Parameters<Redis['duplicate']>) => {
      const copy = duplicate(...args);
      made.push(copy);
      return copy;
    };
  }
  return made;
}
