/**
 * A production install, for real: the packed project installed without dev dependencies into an empty folder
 * (offline, from the npm cache; see support.ts for how and for the native addon), then `npx askproai serve` with
 * NODE_ENV=production and the required secrets, a scrape of /api/metrics with the token, and the operator
 * commands (metrics:collect, metrics:status, monitoring:doctor) from that same install.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../support/ports.ts';
import { type ManagedProcess, spawnProcess } from '../support/processes.ts';
import { waitFor } from '../support/wait.ts';
import { npmEnv, packedProject, ROOT, run } from './support.ts';

const TOKEN = randomBytes(32).toString('hex');
const RECORDER = join(ROOT, 'test/ship/fixtures/record-loads.mjs');

describe('production install of the packed project', () => {
  let dir: string;
  let port: number;
  let env: NodeJS.ProcessEnv;
  let service: ManagedProcess | undefined;
  let loadLog: string;

  before(async () => {
    const packed = await packedProject();
    dir = packed.install;
    const work = join(packed.dir, `production-${process.pid}`);
    await mkdir(work, { recursive: true });
    port = await freePort();
    loadLog = join(work, 'loaded-modules.txt');
    const secrets = join(work, 'secrets');
    await mkdir(secrets);
    await writeFile(join(secrets, 'metrics_token'), `${TOKEN}\n`);
    await writeFile(join(secrets, 'retell_api_key'), `${randomBytes(24).toString('hex')}\n`);
    env = npmEnv({
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      METRICS_AUTH_TOKEN_FILE: join(secrets, 'metrics_token'),
      RETELL_API_KEY_FILE: join(secrets, 'retell_api_key'),
      CALCOM_WEBHOOK_SECRET: randomBytes(24).toString('hex'),
      SESSION_SECRET: randomBytes(32).toString('hex'),
      DATABASE_URL: join(work, 'askproai.sqlite'),
      LOG_LEVEL: 'warn',
    });
    service = await spawnProcess('npx', ['askproai', 'serve'], {
      name: 'npx askproai serve (production install)',
      cwd: dir,
      env: { ...env, NODE_OPTIONS: `--import=${RECORDER}`, ASKPROAI_LOAD_LOG: loadLog },
      readyUrl: `http://127.0.0.1:${port}/api/health`,
      timeoutMs: 60_000,
    });
  });

  after(async () => {
    await service?.stop();
  });

  test('carries no development dependency and no TypeScript sources', async () => {
    for (const dev of ['tsx', 'typescript', '@grafana/grafana-foundation-sdk', '@biomejs/biome']) {
      assert.equal(existsSync(join(dir, 'node_modules', dev)), false, `${dev} must not be installed`);
    }
    const pkg = dir;
    assert.ok(existsSync(join(pkg, 'dist/cli/index.js')));
    assert.ok(existsSync(join(pkg, 'dist/metrics/index.d.ts')));
    assert.ok(existsSync(join(pkg, 'dist/service/public/admin.html')), 'assets are copied beside the code');
    assert.equal(existsSync(join(pkg, 'src')), false);
    assert.equal(existsSync(join(pkg, 'test')), false);
  });

  test('serves /api/metrics with the token, and 401 without it', async () => {
    const url = `http://127.0.0.1:${port}/api/metrics`;
    assert.equal((await fetch(`http://127.0.0.1:${port}/no/such/route`)).status, 404);
    const denied = await fetch(url);
    assert.equal(denied.status, 401);
    const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /^# TYPE askproai_http_requests_total counter$/m);
    assert.match(text, /^askproai_http_requests_total\{method="GET",endpoint="unmatched",status="404"\} 1$/m);
    assert.match(text, /^askproai_active_tenants \d+/m);
  });

  test('serve loaded neither the generators nor the simulator', async () => {
    const loaded = (await readFile(loadLog, 'utf8')).split('\n').filter(Boolean);
    assert.ok(
      loaded.some((u) => u.includes('/dist/service/start.js')),
      'the recorder saw the service load',
    );
    // dist/monitoring/config.js is the monitoring settings as plain data (the service reads its demo
    // endpoints) and slo/specs.js the SLOs as data (the live view shows them); every other module there
    // is a generator.
    const unwanted = loaded.filter(
      (u) =>
        (u.includes('/dist/monitoring/') &&
          !u.endsWith('/dist/monitoring/config.js') &&
          !u.endsWith('/dist/monitoring/slo/specs.js')) ||
        u.includes('simulat') ||
        u.includes('grafana-foundation-sdk') ||
        u.includes('kubernetes-models'),
    );
    assert.deepEqual(unwanted, []);
  });

  test('metrics:collect --immediate, metrics:status and monitoring:doctor work from the install', async () => {
    const collect = await run('npx', ['askproai', 'metrics:collect', '--immediate'], { cwd: dir, env });
    assert.equal(collect.code, 0, collect.stderr);
    assert.match(collect.stdout, /^tenants\s+ok\s+1\s/m);
    assert.match(collect.stdout, /^queues\s+not configured/m);

    // The service collects at start; its snapshot is read back from its endpoint (no Redis here).
    const status = await waitFor(
      async () => {
        const r = await run('npx', ['askproai', 'metrics:status'], { cwd: dir, env });
        return r.code === 0 ? r : undefined;
      },
      { what: 'metrics:status to report the service collection', timeoutMs: 60_000, intervalMs: 500 },
    );
    assert.match(status.stdout, /^Store:\s+memory of the service/m);
    assert.match(status.stdout, /^tenants\s+\d{4}-/m);

    const doctor = await run('npx', ['askproai', 'monitoring:doctor'], { cwd: dir, env });
    assert.equal(doctor.code, 0, `${doctor.stdout}\n${doctor.stderr}`);
    assert.match(doctor.stdout, /^OK\s+Endpoint .*200 with the configured token/m);
    assert.match(doctor.stdout, /All checks passed/);
  });

  test('a command that needs a development dependency says so instead of crashing', async () => {
    const r = await run('npx', ['askproai', 'monitoring:generate', '--check'], { cwd: dir, env });
    assert.equal(r.code, 1);
    const named =
      /^askproai: monitoring:generate needs the package (\S+), which this installation does not have \(it is a development dependency\)/m.exec(
        r.stderr,
      );
    assert.ok(named, r.stderr);
    const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    assert.ok(named[1]! in manifest.devDependencies, `${named[1]} is a development dependency`);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
  });

  test('--help lists every command without loading any of them', async () => {
    const r = await run('npx', ['askproai', '--help'], {
      cwd: dir,
      env: { ...env, NODE_OPTIONS: `--import=${RECORDER}`, ASKPROAI_LOAD_LOG: `${loadLog}.help` },
    });
    assert.equal(r.code, 0, r.stderr);
    for (const name of [
      'serve',
      'metrics:collect',
      'metrics:status',
      'monitoring:doctor',
      'monitoring:generate',
    ]) {
      assert.match(r.stdout, new RegExp(`^  ${name} `, 'm'));
    }
    const loaded = await readFile(`${loadLog}.help`, 'utf8');
    assert.doesNotMatch(loaded, /\/dist\/cli\/commands\//);
  });
});
