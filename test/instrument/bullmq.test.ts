/** BullMQ worker instrumentation against real Redis: outcomes, run and wait times, and the time limit. */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Queue, Worker } from 'bullmq';
import { MetricsCollector } from '../../src/metrics/collector.ts';
import { instrumentWorker, JobTimeoutError, withTimeLimit } from '../../src/metrics/instrument/bullmq.ts';
import { createRegistry } from '../../src/metrics/registry.ts';
import { redisKeyPrefix } from '../support/databases.ts';
import { redisUrl } from '../support/env.ts';
import { waitFor } from '../support/wait.ts';

function series(text: string, s: string): number | undefined {
  const l = text.split('\n').find((x) => x.startsWith(`${s} `));
  return l === undefined ? undefined : Number(l.slice(s.length + 1));
}

const prefix = redisKeyPrefix('bullmq').slice(0, -1);
const connection = { url: redisUrl(), maxRetriesPerRequest: null };
const queue = new Queue('instrumented', { connection, prefix });

after(async () => {
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
});

test('completed, failed and timed-out jobs are counted with their run and wait times', async () => {
  const registry = createRegistry();
  const collector = new MetricsCollector(registry);
  let abortedByLimit = 0;
  const processor = withTimeLimit<{ kind: string }, string, string>(
    async (job, _token, signal) => {
      if (job.data.kind === 'fail') throw new Error('nope');
      if (job.data.kind === 'hang') {
        await new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve()));
        if (signal?.reason instanceof JobTimeoutError) abortedByLimit++;
        return 'stopped';
      }
      return 'ok';
    },
    { queue: 'instrumented', collector, limitMs: 300 },
  );
  const worker = new Worker('instrumented', processor, {
    connection,
    prefix,
    concurrency: 3,
    autorun: false,
  });
  instrumentWorker(worker, collector);
  for (let i = 0; i < 4; i++) await queue.add('ok', { kind: 'ok' });
  await queue.add('fail', { kind: 'fail' });
  await queue.add('hang', { kind: 'hang' });
  await queue.add('later', { kind: 'ok' }, { delay: 200 });
  void worker.run();
  try {
    await waitFor(
      () => {
        const t = registry.expose();
        const done =
          series(t, 'askproai_queue_jobs_processed_total{queue="instrumented",status="completed"}') ?? 0;
        const failed =
          series(t, 'askproai_queue_jobs_processed_total{queue="instrumented",status="failed"}') ?? 0;
        return done + failed === 7;
      },
      { what: 'all seven jobs to finish', timeoutMs: 15_000 },
    );
  } finally {
    await worker.close();
  }
  const text = registry.expose();
  assert.equal(
    series(text, 'askproai_queue_jobs_processed_total{queue="instrumented",status="completed"}'),
    5,
  );
  assert.equal(series(text, 'askproai_queue_jobs_processed_total{queue="instrumented",status="failed"}'), 2);
  assert.equal(series(text, 'askproai_queue_job_timeouts_total{queue="instrumented"}'), 1);
  assert.equal(abortedByLimit, 1, 'the processor saw the abort');
  assert.equal(series(text, 'askproai_queue_job_duration_seconds_count{queue="instrumented"}'), 7);
  assert.equal(series(text, 'askproai_queue_job_wait_seconds_count{queue="instrumented"}'), 7);
  // The timed-out job ran at least its limit: it is above the 0.1 s bucket.
  assert.ok(
    series(text, 'askproai_queue_job_duration_seconds_bucket{queue="instrumented",le="0.1"}')! <= 6,
    'the timed-out job is not in the fastest buckets',
  );
  const failed = await queue.getFailed();
  assert.ok(failed.some((j) => /time limit of 300 ms/.test(j.failedReason)));
});

test('withTimeLimit refuses a non-positive limit', () => {
  assert.throws(
    () => withTimeLimit(async () => 1, { queue: 'q', collector: new MetricsCollector(), limitMs: 0 }),
    /limitMs/,
  );
});
