/**
 * Redis going away: at start and in the middle of a run; Redis not up yet when an instance starts. The service keeps serving, the queue collector's
 * error counter rises and its last success stops, nothing is left unhandled, and collection recovers by
 * itself within two cycles once Redis is back.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config.ts';
import { createRegistry } from '../../src/metrics/registry.ts';
import { RedisLeaderLock } from '../../src/metrics/schedule/lock.ts';
import { createMonitorRedis, whenReady } from '../../src/metrics/schedule/redis.ts';
import { MetricsScheduler } from '../../src/metrics/schedule/scheduler.ts';
import { createCollection } from '../../src/metrics/schedule/setup.ts';
import { RedisSnapshotStore } from '../../src/metrics/schedule/store.ts';
import { type OpenedDatabase, openDatabase } from '../../src/metrics/sources/connect.ts';
import { tenantsSource } from '../../src/metrics/sources/tenants.ts';
import { metricsOptions } from '../../src/service/metrics-options.ts';
import { type RedisServer, redisKeyPrefix, startRedis } from '../support/databases.ts';
import { freePort } from '../support/ports.ts';
import { makeTempDir } from '../support/processes.ts';
import { waitFor } from '../support/wait.ts';
import { createContractTables, insertCompanies } from './support.ts';

function line(text: string, series: string): number | undefined {
  const l = text.split('\n').find((x) => x.startsWith(`${series} `));
  return l === undefined ? undefined : Number(l.slice(series.length + 1));
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

describe('Redis outages', () => {
  let db: OpenedDatabase;
  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    const dir = await makeTempDir('outage');
    db = await openDatabase(`sqlite:${join(dir, 'db.sqlite')}`);
    await createContractTables(db.db);
    await insertCompanies(db.db, [
      { id: 'cmp_a', is_active: 1 },
      { id: 'cmp_b', is_active: 1 },
    ]);
  });
  after(async () => {
    await db?.close();
    process.off('unhandledRejection', onUnhandled);
    assert.deepEqual(unhandled, [], 'no unhandled rejections');
  });

  test('Redis down at start: the scheduler starts, the database collectors work, queues fail', async () => {
    const port = await freePort(); // nothing listens here
    const config = loadConfig({ REDIS_URL: `redis://127.0.0.1:${port}`, METRICS_QUEUES: 'jobs' });
    const registry = createRegistry();
    const collection = createCollection({
      settings: metricsOptions(config),
      registry,
      db: db.db,
      dialect: 'sqlite',
      cron: '* * * * * *',
      maxBackoffMs: 200,
    });
    collection.scheduler.start();
    try {
      await waitFor(() => collection.scheduler.runs >= 2, {
        what: 'two runs without Redis',
        timeoutMs: 15_000,
      });
      const text = registry.expose();
      assert.equal(line(text, 'askproai_active_tenants'), 2);
      assert.ok(line(text, 'askproai_metrics_collection_errors_total{collector="queues"}')! >= 2);
      assert.equal(
        line(text, 'askproai_metrics_collection_last_success_timestamp_seconds{collector="queues"}'),
        undefined,
      );
      const queues = collection.scheduler.current!.collectors.find((c) => c.name === 'queues')!;
      assert.equal(queues.status, 'error');
      assert.match(queues.error!, /not connected/);
    } finally {
      await collection.close();
    }
  });

  test('Redis not up yet at start: no run until it is, then the instance collects as the lock holder', async () => {
    // An instance whose Redis is still connecting must not take that for an outage: a scheduled run
    // then collects "for itself" although another instance may hold the lock.
    const port = await freePort(); // Redis comes up here later
    const prefix = redisKeyPrefix('connecting');
    const client = createMonitorRedis(`redis://127.0.0.1:${port}/2`, { maxBackoffMs: 200 });
    const lock = new RedisLeaderLock(client, 'starting-instance', { key: `${prefix}leader`, ttlMs: 5000 });
    const scheduler = new MetricsScheduler({
      registry: createRegistry(),
      sources: [tenantsSource({ db: db.db })],
      cron: '* * * * * *',
      store: new RedisSnapshotStore(client, { key: `${prefix}snapshot` }),
      lock,
      instanceId: 'starting-instance',
      ready: () => whenReady(client, 60_000),
    });
    let redis: RedisServer | undefined;
    scheduler.start();
    try {
      // Two scheduled times (and the run on start) pass while Redis is not there.
      const first = scheduler.nextRun()!.getTime();
      await waitFor(() => scheduler.nextRun()!.getTime() >= first + 2000, { what: 'two ticks' });
      assert.equal(scheduler.runs, 0, 'no run before the Redis connection is ready');

      redis = await startRedis({ port });
      await waitFor(() => scheduler.runs >= 1, { what: 'the first run once Redis is up', timeoutMs: 15_000 });
      assert.equal(scheduler.isLeader, true);
      assert.equal(await lock.holder(), 'starting-instance');
      assert.equal((await scheduler.store.read())?.instance, 'starting-instance', 'the run was stored');
    } finally {
      await scheduler.stop();
      client.disconnect();
      await redis?.stop();
    }
  });

  describe('Redis lost in the middle of a run', () => {
    let redis: RedisServer;
    before(async () => {
      redis = await startRedis();
    });
    after(async () => {
      await redis?.stop();
    });

    test('errors rise while it is down; recovery within two cycles once it is back', async () => {
      const config = loadConfig({ REDIS_URL: redis.url, METRICS_QUEUES: 'list:jobs' });
      const registry = createRegistry();
      const collection = createCollection({
        settings: metricsOptions(config),
        registry,
        db: db.db,
        dialect: 'sqlite',
        cron: '* * * * * *',
        maxBackoffMs: 200,
        lockTtlMs: 3000,
      });
      const fill = async (n: number) => {
        const r = new Redis(redis.url, { maxRetriesPerRequest: 1 });
        await r.del('jobs');
        await r.rpush('jobs', ...Array.from({ length: n }, (_, i) => String(i)));
        r.disconnect();
      };
      await fill(4);
      const scheduler = collection.scheduler;
      const queues = () => scheduler.current?.collectors.find((c) => c.name === 'queues');
      scheduler.start();
      try {
        await waitFor(() => queues()?.status === 'ok', { what: 'a first good run', timeoutMs: 15_000 });
        assert.equal(line(registry.expose(), 'askproai_queue_size{queue="jobs"}'), 4);
        assert.equal(scheduler.isLeader, true);
        const lastGood = queues()!.lastSuccessAt!;

        await redis.crash();
        const downAt = scheduler.runs;
        await waitFor(() => scheduler.runs >= downAt + 2 && queues()?.status === 'error', {
          what: 'runs while Redis is down',
          timeoutMs: 15_000,
        });
        let text = registry.expose();
        assert.ok(line(text, 'askproai_metrics_collection_errors_total{collector="queues"}')! >= 1);
        assert.equal(
          line(text, 'askproai_metrics_collection_last_success_timestamp_seconds{collector="queues"}'),
          lastGood / 1000,
          'the last success stopped',
        );
        // The database collectors carry on; the last known queue size is still served.
        assert.equal(queues()!.lastSuccessAt, lastGood);
        assert.ok(scheduler.current!.collectors.find((c) => c.name === 'tenants')!.lastSuccessAt! > lastGood);
        assert.equal(line(text, 'askproai_queue_size{queue="jobs"}'), 4);

        await redis.restart();
        await fill(6);
        const backAt = scheduler.runs;
        await waitFor(() => queues()?.status === 'ok', { what: 'recovery', timeoutMs: 15_000 });
        assert.ok(scheduler.runs - backAt <= 2, `recovered after ${scheduler.runs - backAt} run(s)`);
        text = registry.expose();
        assert.equal(line(text, 'askproai_queue_size{queue="jobs"}'), 6);
        assert.ok(
          line(text, 'askproai_metrics_collection_last_success_timestamp_seconds{collector="queues"}')! >
            lastGood / 1000,
        );
        await waitFor(() => scheduler.isLeader === true, { what: 'the lock to be held again' });
      } finally {
        await collection.close();
      }
    });
  });
});
