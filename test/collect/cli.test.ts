/** The CLI as real processes: metrics:collect, metrics:status and monitoring:doctor, with their exit codes. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { openDatabase } from '../../src/metrics/sources/connect.ts';
import { redisUrl } from '../support/env.ts';
import { freePort } from '../support/ports.ts';
import { type ManagedProcess, makeTempDir, spawnProcess } from '../support/processes.ts';
import { startPrometheus } from '../support/prometheus.ts';
import { waitFor } from '../support/wait.ts';
import { createContractTables, insertBookings, insertCompanies } from './support.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'scripts/askproai-dev.js');
const FIXTURE = fileURLToPath(new URL('./fixtures/instance.ts', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with exactly `env` (plus PATH), never the test runner's REDIS_URL by accident. */
function cli(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('askproai CLI', () => {
  let dbUrl: string;
  const namespace = `t${randomBytes(4).toString('hex')}`;
  const metricsRedis = new Redis(`${redisUrl()}/2`, { maxRetriesPerRequest: 1 });
  const withRedis = () => ({
    DATABASE_URL: dbUrl,
    REDIS_URL: redisUrl(),
    METRICS_NAMESPACE: namespace,
    METRICS_QUEUES: 'list:none',
  });
  let instance: ManagedProcess | undefined;

  before(async () => {
    const dir = await makeTempDir('cli');
    dbUrl = join(dir, 'cli.sqlite');
    const db = await openDatabase(dbUrl);
    await createContractTables(db.db);
    await insertCompanies(db.db, [
      { id: 'cmp_a', is_active: 1 },
      { id: 'cmp_b', is_active: 1 },
      { id: 'cmp_c', is_active: 1 },
    ]);
    await insertBookings(db.db, [
      { id: 1, company_id: 'cmp_a', status: 'confirmed', source: 'phone', created_at: Date.now() },
    ]);
    await db.close();
  });
  after(async () => {
    await instance?.stop();
    const keys = await metricsRedis.keys(`${namespace}:*`);
    if (keys.length) await metricsRedis.del(...keys);
    metricsRedis.disconnect();
  });

  test('metrics:collect --immediate on SQLite without Redis: a table, queues "not configured", exit 0', async () => {
    const r = await cli(['metrics:collect', '--immediate'], { DATABASE_URL: dbUrl });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^collector\s+status\s+samples\s+duration/m);
    assert.match(r.stdout, /^queues\s+not configured\s+0\s+-\s+no Redis configured \(REDIS_URL\)/m);
    assert.match(r.stdout, /^tenants\s+ok\s+1\s/m);
    assert.match(r.stdout, /^bookings_today\s+ok\s+7\s/m);
  });

  test('a collector that fails makes the exit code non-zero, without the password in the output', async () => {
    const port = await freePort();
    const r = await cli(['metrics:collect', '--immediate'], {
      DATABASE_URL: `postgres://app:hunter2@127.0.0.1:${port}/app`,
    });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^tenants\s+error\s+0\s/m);
    assert.match(r.stderr, /collector\(s\) failed: .*tenants/);
    assert.doesNotMatch(r.stdout + r.stderr, /hunter2/);
  });

  test('an unsupported DATABASE_URL fails with a message naming it', async () => {
    const r = await cli(['metrics:collect', '--immediate'], { DATABASE_URL: 'mongodb://db/app' });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /DATABASE_URL: unsupported scheme "mongodb:"; expected postgres:\/\/, mysql:\/\/, sqlite:<path>/,
    );
  });

  test('metrics:collect skips while another instance holds the lock; --immediate runs anyway', async () => {
    // Held well past a CLI start on a busy machine; deleted at the end.
    await metricsRedis.set(`${namespace}:metrics:leader`, 'other-host:1:abc', 'PX', 300_000);
    const skipped = await cli(['metrics:collect'], withRedis());
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.match(skipped.stdout, /Skipped: another instance \(other-host:1:abc\) holds the collection lock/);
    assert.equal(await metricsRedis.get(`${namespace}:metrics:snapshot`), null);

    const forced = await cli(['metrics:collect', '--immediate'], withRedis());
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /^queues\s+ok\s+2\s/m);
    assert.match(forced.stdout, /Stored in redis;/);
    const stored = JSON.parse((await metricsRedis.get(`${namespace}:metrics:snapshot`))!);
    assert.equal(stored.collectors.find((c: { name: string }) => c.name === 'tenants').series[0].value, 3);
    await metricsRedis.del(`${namespace}:metrics:leader`);
  });

  test('metrics:status shows the schedule and the last run per collector from the shared store', async () => {
    const r = await cli(['metrics:status'], withRedis());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Schedule:\s+\* \* \* \* \* \(METRICS_COLLECT_CRON\), next run \d{4}-/);
    assert.match(r.stdout, /Last run:/);
    assert.match(r.stdout, /^tenants\s+ok\s+1\s/m);
    assert.match(r.stdout, /^collector\s+last success/m);
    const empty = await cli(['metrics:status'], { ...withRedis(), METRICS_NAMESPACE: `${namespace}x` });
    assert.equal(empty.code, 1);
    assert.match(empty.stdout, /No collection has been stored yet/);
  });

  test('monitoring:doctor passes against a running instance and says what to fix when it cannot', async () => {
    const token = randomBytes(16).toString('hex');
    instance = await spawnProcess(process.execPath, ['--import', 'tsx', FIXTURE], {
      name: 'instance',
      env: { ...withRedis(), PORT: '0', NODE_ENV: 'test', METRICS_AUTH_TOKEN: token },
      readyWhen: (out) => /READY \d+/.test(out),
    });
    const port = /READY (\d+)/.exec(instance.output())![1]!;
    const env = { ...withRedis(), METRICS_AUTH_TOKEN: token, PORT: port };
    // The instance collects at start; wait for its snapshot through the CLI itself.
    let last: Run | undefined;
    const ok = await waitFor(
      async () => {
        last = await cli(['monitoring:doctor'], env);
        return last.code === 0 && last;
      },
      { what: 'monitoring:doctor to pass', timeoutMs: 20_000, intervalMs: 500 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; its last output:\n${last?.stdout ?? ''}`);
    });
    assert.equal(ok.code, 0, ok.stdout);
    assert.match(ok.stdout, /^OK\s+Redis for metrics at .*reachable, authenticated, database usable/m);
    assert.match(ok.stdout, /^OK\s+Database sqlite:.*answers queries/m);
    assert.match(ok.stdout, /^OK\s+Scheduler: last success/m);
    assert.match(ok.stdout, /^OK\s+Endpoint http:\/\/127\.0\.0\.1:\d+\/api\/metrics: 200/m);
    assert.match(ok.stdout, /^SKIP\s+Prometheus: PROMETHEUS_URL not set/m);

    // With PROMETHEUS_URL: the service's target must be up in a real Prometheus (behind basic auth, as the
    // compose stack runs it; the credentials go in the URL).
    const webPassword = 'doctor-web-password-0123456789';
    const prom = await startPrometheus({
      basicAuth: { user: 'admin', password: webPassword },
      configYaml: `global: { scrape_interval: 1s }
scrape_configs:
  - job_name: askproai
    metrics_path: /api/metrics
    authorization: { type: Bearer, credentials_file: token }
    static_configs: [{ targets: ['127.0.0.1:${port}'] }]
`,
      files: { token },
    });
    try {
      await waitFor(async () => (await prom.targets()).some((t) => t.health === 'up'), {
        what: 'Prometheus to scrape the instance',
        timeoutMs: 20_000,
      });
      const promUrl = prom.url.replace('http://', `http://admin:${webPassword}@`);
      const withProm = await cli(['monitoring:doctor'], { ...env, PROMETHEUS_URL: promUrl });
      assert.equal(withProm.code, 0, withProm.stdout);
      assert.ok(!withProm.stdout.includes(webPassword));
      const noAuth = await cli(['monitoring:doctor'], { ...env, PROMETHEUS_URL: prom.url });
      assert.equal(noAuth.code, 1);
      assert.match(noAuth.stdout, /^FAIL\s+Prometheus .*401, it takes basic auth\n\s+fix: put the user/m);
      assert.match(
        withProm.stdout,
        /^OK\s+Prometheus .*target http:\/\/127\.0\.0\.1:\d+\/api\/metrics is up/m,
      );
      const otherPort = String(await freePort());
      const missing = await cli(['monitoring:doctor'], { ...env, PORT: otherPort, PROMETHEUS_URL: promUrl });
      assert.equal(missing.code, 1);
      assert.match(
        missing.stdout,
        /^FAIL\s+Prometheus .*no target scrapes 127\.0\.0\.1:\d+\/api\/metrics\n\s+fix: add the service/m,
      );
    } finally {
      await prom.stop();
    }

    const wrongToken = await cli(['monitoring:doctor'], { ...env, METRICS_AUTH_TOKEN: 'x'.repeat(32) });
    assert.equal(wrongToken.code, 1);
    assert.match(wrongToken.stdout, /^FAIL\s+Endpoint .*token rejected \(401\)\n\s+fix: /m);

    const noRedis = await cli(['monitoring:doctor'], {
      ...env,
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    });
    assert.equal(noRedis.code, 1);
    assert.match(noRedis.stdout, /^FAIL\s+Redis for metrics at .*not reachable/m);
    assert.match(noRedis.stdout, /fix: start Redis or correct REDIS_URL/);
  });
});
