// Remote write that loses nothing, live on loopback (about 2.5 minutes, most of it a 60 s outage): two
// Prometheus replicas running the generated HA configuration write to VictoriaMetrics, which deduplicates
// them; VictoriaMetrics is stopped for more than a minute while the replicas keep scraping and started
// again on the same port and data path; the outage's samples arrive (no gap, counted with count_over_time),
// and PrometheusRemoteWriteBehind fires and resolves. Then vmalert evaluates the generated rule files
// against VictoriaMetrics. Both run as the HA compose file runs them (auth.sh, generated flags): nothing
// without the store's password, admin endpoints not even with it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { catalog } from '../../src/metrics/catalog.ts';
import { haPaths, REMOTE_NAME, vmalertArgs } from '../../src/monitoring/ha.ts';
import { fetchJson } from '../support/http.ts';
import { withFreePort } from '../support/ports.ts';
import { makeTempDir, removeTempDir, spawnProcess } from '../support/processes.ts';
import type { SlackMessage } from '../support/sinks.ts';
import { sleep, waitFor } from '../support/wait.ts';
import {
  type HaStack,
  startHaStack,
  startVictoria,
  testConfig,
  type Victoria,
  VM_PASSWORD,
} from './ha-stack.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const OUTAGE_S = 60;
// Seconds instead of minutes: behind by more than 10 s for 5 s fires the alert.
const config = testConfig({
  remoteWrite: { behindSeconds: 10, window: '10s', for: '5s' },
  ha: { alertmanagers: ['alertmanager'] },
});
const ALERT = 'PrometheusRemoteWriteBehind';

let stack: HaStack;
let vm: Victoria;

before(async () => {
  vm = await startVictoria(config);
  stack = await startHaStack({ config, services: 1, remoteWriteUrl: vm.writeUrl });
  // Some traffic, so the request metrics have series.
  const app = `http://127.0.0.1:${stack.services[0]!.port}`;
  for (const path of ['/api/bookings/42', '/api/fail', '/api/health', '/api/bookings/7'])
    await fetch(`${app}${path}`).then((r) => r.arrayBuffer());
});

after(async () => {
  await stack?.stop();
  await vm?.destroy();
});

const title = (m: SlackMessage) => m.body.attachments?.[0]?.title ?? '';
const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});
/** Status of a request (body read and dropped). */
async function status(url: string, init: RequestInit = {}): Promise<number> {
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  await r.arrayBuffer();
  return r.status;
}
/** Endpoints that want a key on top of the password: deleting, snapshots, merges, cache, self-metrics, flags. */
const ADMIN_PATHS = [
  '/api/v1/admin/tsdb/delete_series?match[]=NAME',
  '/snapshot/create',
  '/internal/force_merge',
  '/internal/resetRollupResultCache',
  '/config',
  '/metrics',
  '/flags',
  '/debug/pprof/',
];
const now = () => Math.floor(Date.now() / 1000);

/** The seed's metrics (the spec's names) that have series in a replica. */
async function seedMetrics(): Promise<string[]> {
  const n = stack.ctx.n;
  const seed = [
    n.of(catalog.httpRequestsTotal),
    n.bucket(catalog.httpRequestDuration),
    n.of(catalog.bookingsTotal),
    n.of(catalog.callsTotal),
    n.of(catalog.webhooksTotal),
    n.bucket(catalog.webhookProcessingDuration),
    n.of(catalog.queueSize),
    n.of(catalog.databaseConnections),
    n.of(catalog.activeTenants),
    n.of(catalog.errorsTotal),
  ];
  const present: string[] = [];
  for (const name of seed) if ((await stack.proms[1]!.query(name)).length > 0) present.push(name);
  return present;
}

describe('remote write to VictoriaMetrics, live', { timeout: 420_000 }, () => {
  test('VictoriaMetrics answers only with the password; its admin endpoints not even with it', async () => {
    const name = stack.ctx.n.of(catalog.processResidentMemory);
    // The replicas' remote write gets in with the credentials from their secret file.
    await waitFor(async () => (await vm.query(name)).length > 0, {
      timeoutMs: 60_000,
      intervalMs: 500,
      what: `${name} in VictoriaMetrics`,
    });
    const user = config.remoteWrite.basicAuth.user;
    const forged = 'forged_series_total';
    const requests: [string, RequestInit][] = [
      [`/api/v1/query?query=${name}`, {}],
      [`/api/v1/export?match[]=${name}`, {}],
      ['/api/v1/labels', {}],
      ['/', {}],
      ['/api/v1/import/prometheus', { method: 'POST', body: `${forged} 1\n` }],
      ['/api/v1/write', { method: 'POST', body: 'x' }],
      ['/-/reload', {}],
      ...ADMIN_PATHS.map((p): [string, RequestInit] => [p.replace('NAME', name), {}]),
    ];
    for (const [path, init] of requests)
      for (const headers of [{}, basic(user, 'a-wrong-password-0123456789'), basic('root', VM_PASSWORD)])
        assert.equal(
          await status(`${vm.url}${path}`, { ...init, headers }),
          401,
          `${path} without the password`,
        );
    // With it: reads, and the admin endpoints refuse (their random key was given to no one).
    assert.equal(await status(`${vm.url}/api/v1/labels`, { headers: vm.headers }), 200);
    for (const path of ADMIN_PATHS) {
      const code = await status(`${vm.url}${path.replace('NAME', name)}`, { headers: vm.headers });
      assert.ok(code >= 400 && code < 500, `${path} with the password: ${code}`);
    }
    // Nothing was deleted, nothing forged was stored.
    await status(`${vm.url}/internal/force_flush`, { headers: vm.headers });
    assert.ok((await vm.query(name)).length > 0, `${name} was deleted`);
    assert.deepEqual(await vm.query(forged), []);
    // The password is in no command line (every local process can read /proc/PID/cmdline).
    const cmdline = await readFile(`/proc/${vm.pid()}/cmdline`, 'utf8');
    assert.ok(cmdline.includes(`-httpAuth.username=${user}`), cmdline);
    assert.ok(!cmdline.includes(VM_PASSWORD));
  });

  test('both replicas write one deduplicated copy, without the replica label and the debug series', async () => {
    const name = stack.ctx.n.of(catalog.processResidentMemory);
    await waitFor(async () => (await vm.query(name)).length > 0, {
      timeoutMs: 60_000,
      intervalMs: 500,
      what: `${name} in VictoriaMetrics`,
    });
    await sleep(12_000); // a window of samples from both replicas
    const t = now() - 2;
    // Both replicas wrote (their queues sent samples) ...
    for (const p of stack.proms) {
      const sent = await p.query(
        `sum(prometheus_remote_storage_samples_total{remote_name="${REMOTE_NAME}"})`,
      );
      assert.ok(Number(sent[0]?.value[1]) > 0, 'a replica sent nothing');
    }
    // ... one series without the replica label, one sample per scrape interval (not two).
    const stored = await vm.query(`count_over_time(${name}[10s])`, t);
    assert.equal(stored.length, 1, JSON.stringify(stored));
    assert.equal(stored[0]!.metric.replica, undefined);
    const local = await stack.proms[0]!.query(`count_over_time(${name}[10s])`, t);
    assert.ok(
      Number(stored[0]!.value[1]) <= Number(local[0]!.value[1]) + 1,
      `${stored[0]!.value[1]} samples in 10 s`,
    );
    assert.equal((await vm.query('count({replica!=""})')).length, 0);
    // Debug series stay in Prometheus only.
    const debug = stack.ctx.n.bucket(catalog.nodejsGcDuration);
    assert.ok((await stack.proms[0]!.query(debug)).length > 0);
    assert.equal((await vm.query(debug)).length, 0);
  });

  test(`a ${OUTAGE_S} s outage loses no sample, and ${ALERT} fires and resolves`, async () => {
    const seeds = await seedMetrics();
    assert.ok(seeds.length >= 3, `seed metrics with series: ${seeds.join(', ')}`);
    const stoppedAt = now();
    await vm.stop();
    // The replicas keep scraping; their queues fall behind and the alert reaches Slack.
    const firing = await stack.slack.waitFor(
      (m) => title(m).startsWith('[FIRING') && title(m).includes(ALERT),
      60_000,
    );
    assert.match(title(firing), /\(critical\) on prometheus$/);
    assert.match(
      firing.body.attachments![0]!.text ?? '',
      new RegExp(`remote write to ${vm.writeUrl.replace(/[.]/g, '\\.')} is \\d+ s behind`),
    );
    const pending = await stack.proms[1]!.query('sum(prometheus_remote_storage_samples_pending)');
    assert.ok(Number(pending[0]?.value[1]) > 0, 'no backlog while the store is down');
    // The outage lasts a fixed minute: that is the scenario, not a wait for a condition.
    await sleep(Math.max(0, (stoppedAt + OUTAGE_S - now()) * 1000));
    const restartedAt = now();
    await vm.start();
    assert.ok(restartedAt - stoppedAt >= OUTAGE_S);

    // The backlog drains: the alert resolves.
    await stack.slack.waitFor((m) => title(m).startsWith('[RESOLVED') && title(m).includes(ALERT), 90_000);
    const from = stoppedAt - 5;
    const to = restartedAt + 5;
    await waitFor(
      async () => {
        const r = await vm.query(`timestamp(${seeds[0]})`);
        return r.length > 0 && Number(r[0]!.value[1]) >= to;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'VictoriaMetrics to hold samples after the restart' },
    );

    // No gap: every series of every seed metric has a sample at least every 2.5 s through the outage ...
    for (const name of seeds) {
      const series = await vm.exportSamples(name, from, to);
      assert.ok(series.length > 0, `${name}: nothing in VictoriaMetrics`);
      for (const s of series) {
        const ts = s.timestamps.map((x) => x / 1000).filter((x) => x >= from && x <= to);
        // Samples from the start of the window to its end, none more than 2.5 s apart.
        const gaps = [ts[0]! - from, ...ts.slice(1).map((x, i) => x - ts[i]!), to - ts.at(-1)!];
        assert.ok(
          Math.max(...gaps) <= 2.5,
          `${name} ${JSON.stringify(s.metric)}: a gap of ${Math.max(...gaps)} s`,
        );
      }
      // ... and count_over_time over the outage window matches the replica's own TSDB.
      const window = `${to - from}s`;
      const [stored] = await vm.query(`sum(count_over_time(${name}[${window}]))`, to);
      const [local] = await stack.proms[1]!.query(`sum(count_over_time(${name}[${window}]))`, to);
      const s = Number(stored?.value[1]);
      const l = Number(local?.value[1]);
      assert.ok(s >= l * 0.95 && s <= l * 1.05, `${name}: ${s} samples stored, ${l} in the replica`);
    }
  });

  test('vmalert evaluates the generated rule files against VictoriaMetrics', async () => {
    const rules = join(ROOT, 'observability/prometheus/rules/*.yml');
    // The files as committed pass vmalert's own validation; a broken expression does not.
    await run('vmalert', ['-dryRun', `-rule=${rules}`]);
    const dir = await makeTempDir('vmalert');
    try {
      await writeFile(
        join(dir, 'broken.yml'),
        'groups:\n  - name: x\n    rules:\n      - record: y\n        expr: sum(\n',
      );
      await assert.rejects(run('vmalert', ['-dryRun', `-rule=${join(dir, 'broken.yml')}`]));

      const am = `http://127.0.0.1:${stack.ams[0]!.port}`;
      // The generated flags with the loopback addresses and the secret files of this run.
      const secrets = {
        [config.remoteWrite.basicAuth.passwordFile]: vm.passwordFile,
        [config.webAuth.alertmanager.passwordFile]: stack.secretPath(
          config.webAuth.alertmanager.passwordFile,
        ),
      };
      const proc = await withFreePort((port) =>
        spawnProcess(
          'sh',
          [
            join(ROOT, haPaths.vmAuth),
            'vmalert',
            ...vmalertArgs(stack.ctx, {
              rules: [rules],
              storeUrl: vm.url,
              alertmanagerUrls: [am],
              listen: `127.0.0.1:${port}`,
            }).map((a) => a.replace(/=(\/run\/secrets\/\w+)$/, (_, f: string) => `=${secrets[f] ?? f}`)),
            // Tells vmalert's recorded series from the replicas' in the store.
            '-external.label=evaluator=vmalert',
            '-loggerLevel=WARN',
          ],
          {
            name: 'vmalert',
            cwd: dir,
            env: { VM_AUTH_PASSWORD_FILE: vm.passwordFile },
            readyUrl: `http://127.0.0.1:${port}/health`,
            timeoutMs: 30_000,
          },
        ).then((p) => ({ p, port })),
      );
      try {
        type VmRule = {
          name: string;
          type: string;
          lastError: string;
          lastEvaluation: string;
          lastSamples?: number;
        };
        const groups = await waitFor(
          async () => {
            const r = await fetchJson<{ data: { groups: { name: string; rules: VmRule[] }[] } }>(
              `http://127.0.0.1:${proc.port}/api/v1/rules`,
              { headers: vm.headers },
            );
            const all = r.data.groups.flatMap((g) => g.rules);
            return all.length > 0 && all.every((x) => !x.lastEvaluation.startsWith('0001'))
              ? r.data.groups
              : undefined;
          },
          { timeoutMs: 30_000, intervalMs: 500, what: 'vmalert to evaluate every rule once' },
        );
        const generated = (await run('sh', ['-c', `cat ${rules}`])).stdout;
        for (const g of groups) {
          assert.ok(
            generated.includes(`name: ${g.name}`),
            `vmalert loaded a group that is not generated: ${g.name}`,
          );
          for (const r of g.rules) assert.equal(r.lastError, '', `${g.name}/${r.name}: ${r.lastError}`);
        }
        assert.ok(groups.length >= 7, `${groups.length} groups`);
        // Recording rules returned data from the long-term store.
        const rate = groups
          .flatMap((g) => g.rules)
          .find((r) => r.name === 'job:askproai_http_requests_total:rate5m');
        assert.ok((rate?.lastSamples ?? 0) > 0, JSON.stringify(rate));
        // ... and went back into it through the store's basic auth.
        await waitFor(async () => (await vm.query(`${rate!.name}{evaluator="vmalert"}`)).length > 0, {
          timeoutMs: 30_000,
          intervalMs: 500,
          what: "vmalert's recorded series in VictoriaMetrics",
        });
        // vmalert's own API: only with the password; /metrics, /flags and pprof not even with it.
        const vmalertUrl = `http://127.0.0.1:${proc.port}`;
        for (const path of ['/api/v1/rules', '/api/v1/alerts', '/-/reload', '/'])
          assert.equal(await status(`${vmalertUrl}${path}`), 401, path);
        for (const path of ['/metrics', '/flags', '/debug/pprof/'])
          assert.equal(await status(`${vmalertUrl}${path}`, { headers: vm.headers }), 401, path);
        const cmdline = await readFile(`/proc/${proc.p.pid}/cmdline`, 'utf8');
        assert.ok(!cmdline.includes(VM_PASSWORD));
      } finally {
        await proc.p.stop();
      }
    } finally {
      await removeTempDir(dir);
    }
  });
});
