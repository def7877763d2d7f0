/** The scheduler in one process: timeouts, no overlap, clear-then-set, failure bookkeeping, bad settings. */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { catalog } from '../../src/metrics/catalog.ts';
import { createRegistry } from '../../src/metrics/registry.ts';
import { MetricsScheduler } from '../../src/metrics/schedule/scheduler.ts';
import { queuesSource } from '../../src/metrics/sources/queues.ts';
import {
  type MetricSource,
  notConfiguredSource,
  SourceConfigError,
} from '../../src/metrics/sources/types.ts';
import { redisKeyPrefix } from '../support/databases.ts';
import { redisUrl } from '../support/env.ts';
import { waitFor } from '../support/wait.ts';

function line(text: string, series: string): number | undefined {
  const l = text.split('\n').find((x) => x.startsWith(`${series} `));
  return l === undefined ? undefined : Number(l.slice(series.length + 1));
}

function constantSource(name: string, n: number): MetricSource {
  return {
    name,
    metrics: [catalog.activeTenants],
    async collect() {
      return [{ metric: catalog.activeTenants, value: n }];
    },
  };
}

describe('MetricsScheduler', () => {
  test('a hanging collector is cut off at its timeout; the others finish', async () => {
    const registry = createRegistry();
    let aborted = false;
    const hanging: MetricSource = {
      name: 'hanging',
      metrics: [catalog.queueSize],
      timeoutMs: 150,
      collect(signal) {
        signal.addEventListener('abort', () => {
          aborted = true;
        });
        return new Promise(() => {}); // never settles, like a query against a stuck server
      },
    };
    const scheduler = new MetricsScheduler({
      registry,
      sources: [hanging, constantSource('tenants', 7)],
      timeoutMs: 60_000,
    });
    const outcome = await scheduler.collect();
    const byName = new Map(outcome.snapshot!.collectors.map((c) => [c.name, c]));
    assert.equal(byName.get('hanging')!.status, 'timeout');
    assert.match(byName.get('hanging')!.error!, /timed out after 150 ms/);
    assert.equal(byName.get('tenants')!.status, 'ok');
    assert.ok(aborted, 'the hanging collector was told to stop');
    const text = registry.expose();
    assert.equal(line(text, 'askproai_active_tenants'), 7);
    assert.equal(line(text, 'askproai_metrics_collection_errors_total{collector="hanging"}'), 1);
    assert.equal(line(text, 'askproai_metrics_collection_errors_total{collector="tenants"}'), 0);
    assert.ok(
      line(text, 'askproai_metrics_collection_last_success_timestamp_seconds{collector="tenants"}')! > 0,
    );
    assert.equal(
      line(text, 'askproai_metrics_collection_last_success_timestamp_seconds{collector="hanging"}'),
      undefined,
    );
  });

  test('runs never overlap, and the scrape serves the last values while a run is in progress', async () => {
    const registry = createRegistry();
    let release: () => void = () => {};
    let calls = 0;
    let value = 1;
    const slow: MetricSource = {
      name: 'slow',
      metrics: [catalog.activeTenants],
      async collect() {
        calls++;
        await new Promise<void>((r) => {
          release = r;
        });
        return [{ metric: catalog.activeTenants, value: value++ }];
      },
    };
    const scheduler = new MetricsScheduler({ registry, sources: [slow] });
    const first = scheduler.collect();
    await waitFor(() => calls === 1, { what: 'the first run to start' });
    release();
    await first;
    assert.equal(line(registry.expose(), 'askproai_active_tenants'), 1);

    const second = scheduler.collect();
    await waitFor(() => calls === 2, { what: 'the second run to start' });
    const third = await scheduler.collect();
    assert.deepEqual([third.ran, third.skipped], [false, 'busy']);
    // A scrape during the run: synchronous, and still the previous value.
    assert.equal(line(registry.expose(), 'askproai_active_tenants'), 1);
    release();
    assert.equal((await second).ran, true);
    assert.equal(calls, 2);
    assert.equal(line(registry.expose(), 'askproai_active_tenants'), 2);
  });

  test('the cron job runs on schedule and never starts a run while one is going', async () => {
    const registry = createRegistry();
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const source: MetricSource = {
      name: 'busy',
      metrics: [catalog.activeTenants],
      async collect() {
        active++;
        maxActive = Math.max(maxActive, active);
        // Longer than the one-second schedule, so ticks arrive while it runs.
        await new Promise((r) => setTimeout(r, 1600));
        active--;
        runs++;
        return [{ metric: catalog.activeTenants, value: runs }];
      },
    };
    const scheduler = new MetricsScheduler({
      registry,
      sources: [source],
      cron: '* * * * * *',
      runOnStart: false,
    });
    scheduler.start();
    try {
      await waitFor(() => runs >= 2, { what: 'two scheduled runs', timeoutMs: 15_000 });
    } finally {
      await scheduler.stop();
    }
    assert.equal(maxActive, 1);
    assert.ok(scheduler.runs >= 2);
  });

  test('a failing collector keeps its last good values, counts the error and keeps its last success', async () => {
    const registry = createRegistry();
    let fail = false;
    const flaky: MetricSource = {
      name: 'flaky',
      metrics: [catalog.activeTenants],
      async collect() {
        if (fail) throw new Error('connect ECONNREFUSED postgres://app:s3cret@db:5432/app');
        return [{ metric: catalog.activeTenants, value: 12 }];
      },
    };
    const scheduler = new MetricsScheduler({ registry, sources: [flaky] });
    await scheduler.collect();
    const ok = scheduler.current!.collectors[0]!;
    fail = true;
    const failed = (await scheduler.collect()).snapshot!.collectors[0]!;
    assert.equal(failed.status, 'error');
    assert.equal(failed.lastSuccessAt, ok.lastSuccessAt);
    assert.doesNotMatch(failed.error!, /s3cret/, 'no password in the stored error');
    const text = registry.expose();
    assert.equal(line(text, 'askproai_active_tenants'), 12);
    assert.equal(line(text, 'askproai_metrics_collection_errors_total{collector="flaky"}'), 1);
    assert.equal(
      line(text, 'askproai_metrics_collection_last_success_timestamp_seconds{collector="flaky"}'),
      ok.lastSuccessAt! / 1000,
    );
  });

  test('"not configured" is reported, never counted as an error', async () => {
    const registry = createRegistry();
    const scheduler = new MetricsScheduler({
      registry,
      sources: [notConfiguredSource('queues', [catalog.queueSize], 'no Redis configured (REDIS_URL)')],
    });
    const c = (await scheduler.collect()).snapshot!.collectors[0]!;
    assert.equal(c.status, 'not_configured');
    assert.equal(c.error, 'no Redis configured (REDIS_URL)');
    assert.doesNotMatch(registry.expose(), /collection_errors_total\{collector="queues"\} [1-9]/);
  });

  test('a sample for an undeclared metric fails the collector with a clear message', async () => {
    const bad: MetricSource = {
      name: 'sloppy',
      metrics: [catalog.activeTenants],
      async collect() {
        return [{ metric: catalog.queueSize, labels: ['x'], value: 1 }];
      },
    };
    const c = (await new MetricsScheduler({ registry: createRegistry(), sources: [bad] }).collect()).snapshot!
      .collectors[0]!;
    assert.equal(c.status, 'error');
    assert.match(c.error!, /does not declare/);
  });

  test('bad settings fail at construction and name the setting', () => {
    assert.throws(
      () => new MetricsScheduler({ registry: createRegistry(), sources: [], cron: 'every minute' }),
      (err: Error) => err instanceof SourceConfigError && /METRICS_COLLECT_CRON/.test(err.message),
    );
    assert.throws(
      () =>
        new MetricsScheduler({
          registry: createRegistry(),
          sources: [constantSource('a', 1), constantSource('a', 2)],
        }),
      /unique/,
    );
  });
});

describe('clear, then set', () => {
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  const prefix = redisKeyPrefix('lists');
  after(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  test('a queue that vanished disappears from the exposition', async () => {
    const a = `${prefix}a`;
    const b = `${prefix}b`;
    await redis.rpush(a, '1', '2');
    await redis.rpush(b, '1');
    const registry = createRegistry();
    const scheduler = new MetricsScheduler({ registry, sources: [queuesSource({ redis, lists: [a, b] })] });
    await scheduler.collect();
    let text = registry.expose();
    assert.equal(line(text, `askproai_queue_size{queue="${a}"}`), 2);
    assert.equal(line(text, `askproai_queue_size{queue="${b}"}`), 1);

    // The second run reads only one queue (as after a configuration change): the other one's series go.
    const scheduler2 = new MetricsScheduler({ registry, sources: [queuesSource({ redis, lists: [a] })] });
    await redis.rpush(a, '3');
    await scheduler2.collect();
    text = registry.expose();
    assert.equal(line(text, `askproai_queue_size{queue="${a}"}`), 3);
    assert.equal(line(text, `askproai_queue_size{queue="${b}"}`), undefined);
    assert.doesNotMatch(text, new RegExp(`queue="${b}"`));
  });
});
