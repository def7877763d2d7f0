/**
 * BullMQ worker instrumentation:
 * - `askproai_queue_jobs_processed_total{queue,status}`: completed, failed, stalled;
 * - `askproai_queue_job_duration_seconds{queue}`: run time of completed and failed jobs (30 s edge);
 * - `askproai_queue_job_wait_seconds{queue}`: from when the job became runnable (added, plus its
 *   delay) to when a worker took it;
 * - `askproai_queue_job_timeouts_total{queue}`: jobs cut off by `withTimeLimit` (the spec's
 *   "job timeout > 30 s" alert).
 *
 * ```ts
 * const worker = new Worker('webhooks', withTimeLimit(process, { queue: 'webhooks', collector }), { connection });
 * instrumentWorker(worker, collector);
 * ```
 */
import type { Job, Processor, Worker } from 'bullmq';
import type { MetricsCollector } from '../collector.ts';
import { withTimeout } from '../timeout.ts';

export const DEFAULT_JOB_TIME_LIMIT_MS = 30_000;

function seconds(fromMs: number | undefined | null, toMs: number | undefined | null): number | undefined {
  if (typeof fromMs !== 'number' || typeof toMs !== 'number') return undefined;
  return Math.max(0, (toMs - fromMs) / 1000);
}

function runSeconds(job: Job | undefined): number | undefined {
  if (!job) return undefined;
  return seconds(job.processedOn, job.finishedOn ?? Date.now());
}

/**
 * Subscribes to a worker's events and records the job metrics. Returns a function that unsubscribes.
 * `queue` defaults to the worker's queue name.
 */
export function instrumentWorker(
  worker: Worker,
  collector: MetricsCollector,
  options: { queue?: string } = {},
): () => void {
  const queue = options.queue ?? worker.name;
  const onActive = (job: Job) => {
    const runnableAt = job.timestamp + (job.delay ?? job.opts?.delay ?? 0);
    const wait = seconds(runnableAt, job.processedOn ?? Date.now());
    if (wait !== undefined) collector.recordJobWait(queue, wait);
  };
  const onCompleted = (job: Job) => collector.recordJob(queue, 'completed', runSeconds(job));
  const onFailed = (job: Job | undefined) => collector.recordJob(queue, 'failed', runSeconds(job));
  const onStalled = () => collector.recordJob(queue, 'stalled');
  worker.on('active', onActive);
  worker.on('completed', onCompleted);
  worker.on('failed', onFailed);
  worker.on('stalled', onStalled);
  return () => {
    worker.off('active', onActive);
    worker.off('completed', onCompleted);
    worker.off('failed', onFailed);
    worker.off('stalled', onStalled);
  };
}

/** The error a job fails with when it runs past its limit. */
export class JobTimeoutError extends Error {
  override name = 'JobTimeoutError';
}

export interface TimeLimitOptions {
  /** Queue label. */
  queue: string;
  collector: MetricsCollector;
  /** Limit in ms. Default 30,000 (the spec's job timeout). */
  limitMs?: number;
  /** A per-job limit, e.g. from job data; falls back to `limitMs`. */
  limitFor?: (job: Job) => number | undefined;
}

/**
 * Wraps a processor with a time limit. Past the limit the job fails with JobTimeoutError, the timeout
 * is counted, and the processor's AbortSignal (third argument) is aborted so it can stop its work.
 */
export function withTimeLimit<T, R, N extends string>(
  processor: Processor<T, R, N>,
  options: TimeLimitOptions,
): Processor<T, R, N> {
  const fallback = options.limitMs ?? DEFAULT_JOB_TIME_LIMIT_MS;
  if (!(fallback > 0)) throw new RangeError(`withTimeLimit: limitMs must be > 0, got ${fallback}`);
  const { queue, collector } = options;
  return async function timeLimitedProcessor(job, token, signal) {
    const limit = options.limitFor?.(job as Job) ?? fallback;
    return withTimeout((inner) => processor(job, token, inner), limit, {
      signal,
      error: () => new JobTimeoutError(`job ran past its time limit of ${limit} ms`),
      onTimeout: () => collector.recordJobTimeout(queue),
    });
  };
}
