/**
 * Many instances sharing one Redis, as real processes: only the lock holder collects, every instance
 * serves the same snapshot, and killing the holder hands the lock to another instance.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { openDatabase } from '../../src/metrics/sources/connect.ts';
import { redisKeyPrefix } from '../support/databases.ts';
import { redisUrl } from '../support/env.ts';
import { type ManagedProcess, makeTempDir, spawnProcess } from '../support/processes.ts';
import { waitFor } from '../support/wait.ts';
import { createContractTables, insertCompanies } from './support.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/instance.ts', import.meta.url));
const TOKEN = 'instances-test-token';

interface Instance {
  proc: ManagedProcess;
  port: number;
}

async function startInstance(env: Record<string, string>): Promise<Instance> {
  const proc = await spawnProcess(process.execPath, ['--import', 'tsx', FIXTURE], {
    name: 'instance',
    env: { ...env, PORT: '0', NODE_ENV: 'test', METRICS_AUTH_TOKEN: TOKEN },
    readyWhen: (out) => /READY \d+/.test(out),
    timeoutMs: 30_000,
  });
  const port = Number(/READY (\d+)/.exec(proc.output())![1]);
  return { proc, port };
}

async function state(i: Instance): Promise<{ instance: string; runs: number; leader: boolean | null }> {
  const res = await fetch(`http://127.0.0.1:${i.port}/state`);
  return (await res.json()) as { instance: string; runs: number; leader: boolean | null };
}

async function scrape(i: Instance): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${i.port}/api/metrics`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(res.status, 200);
  return res.text();
}

/** The cluster-wide lines (served from the snapshot), which must be identical on every instance. */
function clusterLines(text: string): string[] {
  return text
    .split('\n')
    .filter((l) =>
      /^askproai_(active_tenants|queue_size|queue_jobs|bookings_today|database_connections|metrics_collection_last_success_timestamp_seconds)[ {]/.test(
        l,
      ),
    )
    .sort();
}

function value(text: string, series: string): number | undefined {
  const l = text.split('\n').find((x) => x.startsWith(`${series} `));
  return l === undefined ? undefined : Number(l.slice(series.length + 1));
}

describe('two instances sharing Redis', () => {
  const prefix = redisKeyPrefix('inst');
  const listKey = `${prefix}queue`;
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  const metricsRedis = new Redis(`${redisUrl()}/2`, { maxRetriesPerRequest: 1 });
  let env: Record<string, string>;
  let dbUrl: string;
  const instances: Instance[] = [];

  before(async () => {
    const dir = await makeTempDir('instances');
    dbUrl = `sqlite:${join(dir, 'shared.sqlite')}`;
    const db = await openDatabase(dbUrl);
    await createContractTables(db.db);
    await insertCompanies(db.db, [
      { id: 'cmp_a', is_active: 1 },
      { id: 'cmp_b', is_active: 1 },
      { id: 'cmp_c', is_active: 0 },
    ]);
    await db.close();
    await redis.rpush(listKey, 'a', 'b');
    env = {
      DATABASE_URL: dbUrl,
      REDIS_URL: redisUrl(),
      METRICS_QUEUES: `list:${listKey}`,
      TEST_CRON: '* * * * * *',
      // Long enough that a leader stalled by a busy machine (2 shared cores) keeps its lock.
      TEST_LOCK_TTL_MS: '5000',
      TEST_SYNC_MS: '250',
      TEST_KEY_PREFIX: prefix,
    };
  });

  after(async () => {
    await Promise.all(instances.map((i) => i.proc.stop()));
    for (const r of [redis, metricsRedis]) {
      const keys = await r.keys(`${prefix}*`);
      if (keys.length) await r.del(...keys);
      r.disconnect();
    }
  });

  test('only the lock holder collects; both serve identical gauges', async () => {
    const a = await startInstance(env);
    instances.push(a);
    await waitFor(async () => (await state(a)).runs >= 1, {
      what: 'the first instance to collect',
      timeoutMs: 15_000,
    });
    const b = await startInstance(env);
    instances.push(b);

    const sa = await state(a);
    assert.equal(await metricsRedis.get(`${prefix}leader`), sa.instance, 'the lock key holds the leader id');

    // Change the data; both instances must come to show the new numbers, identically. (A run may fall
    // between the two changes, so the wait is for a snapshot that has both.)
    const db = await openDatabase(dbUrl);
    await insertCompanies(db.db, [{ id: 'cmp_d', is_active: 1 }]);
    await db.close();
    await redis.rpush(listKey, 'c');
    const queueSize = `askproai_queue_size{queue="${listKey}"}`;
    const [ta, tb] = await waitFor(
      async () => {
        const [x, y] = await Promise.all([scrape(a), scrape(b)]);
        const ok =
          value(x, 'askproai_active_tenants') === 3 &&
          value(x, queueSize) === 3 &&
          clusterLines(x).join('\n') === clusterLines(y).join('\n');
        return ok ? [x, y] : undefined;
      },
      { what: 'both instances to serve the same new snapshot', timeoutMs: 15_000 },
    );
    assert.equal(value(tb, 'askproai_active_tenants'), 3);
    assert.equal(value(tb, queueSize), 3);
    assert.deepEqual(clusterLines(ta), clusterLines(tb));
    assert.ok(clusterLines(ta).length >= 4);

    // Several cycles later the follower still has not collected once.
    const before = (await state(a)).runs;
    await waitFor(async () => (await state(a)).runs >= before + 3, {
      what: 'three more cycles',
      timeoutMs: 15_000,
    });
    const [fa, fb] = await Promise.all([state(a), state(b)]);
    assert.equal(fb.runs, 0, `the follower never collected; its output:\n${b.proc.tail(20)}`);
    assert.equal(fa.leader, true);
    assert.equal(fb.leader, false);
  });

  test('killing the leader hands the lock over; the survivor collects and serves fresh values', async () => {
    const [a, b] = instances as [Instance, Instance];
    const sb = await state(b);
    a.proc.kill('SIGKILL');
    await a.proc.exited;
    await waitFor(async () => (await state(b)).runs > sb.runs, {
      what: 'the survivor to take over',
      timeoutMs: 15_000,
    });
    assert.equal(await metricsRedis.get(`${prefix}leader`), sb.instance);
    await redis.rpush(listKey, 'd', 'e');
    await waitFor(async () => value(await scrape(b), `askproai_queue_size{queue="${listKey}"}`) === 5, {
      what: 'the new leader to publish fresh values',
      timeoutMs: 10_000,
    });
  });
});
