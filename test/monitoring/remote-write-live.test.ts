// Remote write that loses nothing, live on loopback (about 2.5 minutes, most of it a 60 s outage): two
// Prometheus replicas running the generated HA configuration write to VictoriaMetrics, which deduplicates
// them; VictoriaMetrics is stopped for more than a minute while the replicas keep scraping and started
// again on the same port and data path; the outage's samples arrive (no gap, counted with count_over_time),
// and PrometheusRemoteWriteBehind fires and resolves. Then vmalert evaluates the generated rule files
// against VictoriaMetrics.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { catalog } from '../../src/metrics/catalog.ts';
import { REMOTE_NAME } from '../../src/monitoring/ha.ts';
import { fetchJson } from '../support/http.ts';
import { withFreePort } from '../support/ports.ts';
import { makeTempDir, removeTempDir, spawnProcess } from '../support/processes.ts';
import type { SlackMessage } from '../support/sinks.ts';
import { sleep, waitFor } from '../support/wait.ts';
import { type HaStack, startHaStack, startVictoria, testConfig, type Victoria } from './ha-stack.ts';

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
  vm = await startVictoria(['-dedup.minScrapeInterval=1s']);
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
      const proc = await withFreePort((port) =>
        spawnProcess(
          'vmalert',
          [
            `-rule=${rules}`,
            `-datasource.url=${vm.url}`,
            `-remoteWrite.url=${vm.url}`,
            `-notifier.url=${am}`,
            // As the HA compose file runs it: through Alertmanager's basic auth.
            `-notifier.basicAuth.username=${config.webAuth.alertmanager.user}`,
            `-notifier.basicAuth.passwordFile=${stack.secretPath(config.webAuth.alertmanager.passwordFile)}`,
            '-evaluationInterval=1s',
            `-httpListenAddr=127.0.0.1:${port}`,
            '-loggerLevel=WARN',
          ],
          { name: 'vmalert', cwd: dir, readyUrl: `http://127.0.0.1:${port}/health`, timeoutMs: 30_000 },
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
      } finally {
        await proc.p.stop();
      }
    } finally {
      await removeTempDir(dir);
    }
  });
});
