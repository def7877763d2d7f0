// The highly available layout as generated: each replica's prometheus.yml accepted by promtool (with and
// without the X-Scope-OrgID header its entrypoint adds), the compose override validated by docker-compose
// together with the single-host file, and the replicas identical but for their replica label.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { capacityPlan } from '../../src/monitoring/capacity.ts';
import { monitoringConfig } from '../../src/monitoring/config.ts';
import { createContext } from '../../src/monitoring/context.ts';
import { paths } from '../../src/monitoring/generate.ts';
import {
  haPaths,
  localRetention,
  longestRuleWindow,
  queueSizing,
  VM_ADMIN_KEY_FLAGS,
} from '../../src/monitoring/ha.ts';
import { runTool } from '../support/tool.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const at = (p: string) => join(ROOT, p);
const ctx = createContext();
const replicas = Object.values(monitoringConfig.ha.prometheusReplicas);

/** A tool run from the repository with a bare environment plus `env`. */
const tool = (cmd: string, args: string[], env: Record<string, string> = {}) =>
  runTool(cmd, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...env },
  });

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'askproai-ha-'));
  await writeFile(join(dir, 'metrics_token'), 'token-for-promtool\n');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A replica's config (as its entrypoint renders it) with container paths pointed at this checkout. */
async function localConfig(replica: string, env: Record<string, string> = {}) {
  const r = await tool('sh', [at(haPaths.entrypoint), 'render'], {
    PROMETHEUS_CONFIG_SOURCE: at(haPaths.prometheus(replica)),
    ...env,
  });
  const text = r.stdout
    .replaceAll('/etc/prometheus/rules/', at('observability/prometheus/rules/'))
    .replace('/run/secrets/metrics_token', join(dir, 'metrics_token'))
    .replace(monitoringConfig.ha.serviceTargetsFile, at(haPaths.serviceTargets));
  return { ...r, text };
}

describe('HA Prometheus replicas', () => {
  for (const replica of replicas) {
    test(`promtool check config accepts prometheus-${replica}.yml, plain and with X-Scope-OrgID`, async () => {
      for (const env of [{}, { PROMETHEUS_REMOTE_WRITE_ORG_ID: 'askproai-prod' }] as Record<
        string,
        string
      >[]) {
        const { text } = await localConfig(replica, env);
        const file = join(dir, `prometheus-${replica}.yml`);
        await writeFile(file, text);
        const r = await tool('promtool', ['check', 'config', file]);
        assert.equal(r.code, 0, r.out);
        const loaded = (parse(text) as { rule_files: string[] }).rule_files;
        assert.match(r.out, new RegExp(`SUCCESS: ${loaded.length} rule files found`));
        const parsed = parse(text) as { remote_write: { headers?: Record<string, string> }[] };
        assert.deepEqual(
          parsed.remote_write[0]!.headers,
          'PROMETHEUS_REMOTE_WRITE_ORG_ID' in env ? { 'X-Scope-OrgID': 'askproai-prod' } : undefined,
        );
      }
    });
  }

  test('the entrypoint refuses an org id that would break the YAML', async () => {
    const r = await localConfig('a', { PROMETHEUS_REMOTE_WRITE_ORG_ID: 'a"\n  evil: 1' });
    assert.notEqual(r.code, 0);
    assert.match(r.out, /PROMETHEUS_REMOTE_WRITE_ORG_ID may hold only/);
  });

  test('the replicas differ only in their replica label; alerts and remote write drop it', async () => {
    const configs = await Promise.all(
      replicas.map(async (r) => parse(await readFile(at(haPaths.prometheus(r)), 'utf8'))),
    );
    const labels = configs.map((c) => c.global.external_labels.replica);
    assert.deepEqual(labels, replicas);
    assert.equal(new Set(labels).size, replicas.length);
    for (const c of configs) delete c.global.external_labels.replica;
    for (const c of configs.slice(1)) assert.deepEqual(c, configs[0]);
    const c = configs[0];
    assert.deepEqual(c.alerting.alert_relabel_configs, [{ regex: 'replica', action: 'labeldrop' }]);
    assert.deepEqual(c.alerting.alertmanagers[0].static_configs[0].targets, [
      'alertmanager:9093',
      'alertmanager-b:9093',
    ]);
    const rw = c.remote_write[0];
    assert.ok(rw.write_relabel_configs.some((x: { action: string }) => x.action === 'labeldrop'));
    assert.match(
      'askproai_nodejs_gc_duration_seconds_bucket',
      new RegExp(`^(?:${rw.write_relabel_configs[0].regex})$`),
    );
    assert.doesNotMatch(
      'askproai_http_requests_total',
      new RegExp(`^(?:${rw.write_relabel_configs[0].regex})$`),
    );
  });

  test('the file_sd list holds one target per instance of the capacity plan', async () => {
    const sd = parse(await readFile(at(haPaths.serviceTargets), 'utf8')) as { targets: string[] }[];
    const targets = sd.flatMap((g) => g.targets);
    assert.equal(targets.length, capacityPlan(ctx).instances);
    assert.equal(new Set(targets).size, targets.length);
  });

  test('queue settings follow the capacity plan', () => {
    const plan = capacityPlan(ctx);
    const q = queueSizing(ctx, plan);
    assert.equal(q.samplesPerSecond, plan.total.max / plan.scrapeSeconds);
    // At max_shards the queue sends catchUpFactor times the incoming rate.
    const perShard = q.queue.max_samples_per_send / monitoringConfig.remoteWrite.requestSeconds;
    assert.ok(
      q.queue.max_shards * perShard >= q.samplesPerSecond * monitoringConfig.remoteWrite.catchUpFactor,
    );
    assert.ok(q.queue.min_shards * perShard >= q.samplesPerSecond);
    assert.ok(q.queue.capacity >= q.queue.max_samples_per_send);
    // Twice the series: at least twice the shards.
    const bigger = queueSizing(ctx, { ...plan, total: { ...plan.total, max: plan.total.max * 2 } });
    assert.ok(bigger.queue.max_shards >= q.queue.max_shards * 2 - 1);
  });

  test('local retention grows to the longest rule window', () => {
    assert.equal(longestRuleWindow(['rate(x[5m])', 'avg_over_time(y[30d:5m])', 'z[1h30m]']), 30 * 86_400);
    assert.equal(localRetention(ctx, ['rate(x[5m])']), monitoringConfig.remoteWrite.localRetention);
    assert.equal(localRetention(ctx, ['sum_over_time(x[30d])']), '31d');
  });
});

describe('docker-compose.observability.ha.yml', () => {
  const PASSWORD = { GF_SECURITY_ADMIN_PASSWORD: 'a-long-random-password' };
  const files = ['-f', 'docker-compose.observability.yml', '-f', haPaths.compose];

  test('validates together with the single-host file', async () => {
    const r = await tool('docker-compose', [...files, 'config', '-q'], PASSWORD);
    assert.equal(r.code, 0, r.out);
  });

  test('two replicas, a two-member Alertmanager cluster, VictoriaMetrics deduplicating, vmalert on demand', async () => {
    const r = await tool('docker-compose', [...files, '--profile', 'long-range', 'config'], PASSWORD);
    assert.equal(r.code, 0, r.out);
    type Service = {
      command?: string[];
      volumes?: string[];
      environment?: Record<string, string>;
      ports?: string[];
    };
    const c = parse(r.stdout) as { services: Record<string, Service> };
    const s = c.services;
    for (const [name, replica] of Object.entries(monitoringConfig.ha.prometheusReplicas)) {
      assert.equal(
        s[name]!.environment?.PROMETHEUS_CONFIG_SOURCE,
        `/etc/prometheus/ha/prometheus-${replica}.yml`,
      );
      assert.ok(
        s[name]!.volumes?.some((v) => v.endsWith(':/etc/prometheus/targets:ro')),
        name,
      );
      assert.ok(
        s[name]!.volumes?.some((v) => v.includes('observability/prometheus:/etc/prometheus:ro')),
        name,
      );
      assert.ok(
        s[name]!.command?.includes(
          `--storage.tsdb.retention.time=${monitoringConfig.remoteWrite.localRetention}`,
        ),
        name,
      );
    }
    assert.ok(s.alertmanager!.command?.includes('--cluster.peer=alertmanager-b:9094'));
    assert.ok(s['alertmanager-b']!.command?.includes('--cluster.peer=alertmanager:9094'));
    assert.ok(!s.alertmanager!.command?.includes('--cluster.listen-address='));
    assert.ok(
      s.victoriametrics!.command?.includes(`-dedup.minScrapeInterval=${monitoringConfig.intervals.scrape}`),
    );
    // vmalert evaluates exactly the rule files the replicas leave out (windows longer than they keep).
    const replicaFiles = (
      parse(await readFile(at(haPaths.prometheus('a')), 'utf8')) as { rule_files: string[] }
    ).rule_files;
    const vmalertFiles = s.vmalert!.command!.filter((a) => a.startsWith('-rule=')).map((a) => a.slice(6));
    const all = (await readdir(at('observability/prometheus/rules'))).filter((f) => f.endsWith('.yml'));
    assert.deepEqual(
      [...replicaFiles, ...vmalertFiles].map((f) => f.replace('/etc/prometheus/rules/', '')).sort(),
      all.sort(),
    );
    for (const f of replicaFiles) {
      const exprs = (
        parse(await readFile(at(f.replace('/etc/prometheus/', 'observability/prometheus/')), 'utf8')) as {
          groups: { rules: { expr: string }[] }[];
        }
      ).groups.flatMap((g) => g.rules.map((r) => r.expr));
      assert.equal(localRetention(ctx, exprs), monitoringConfig.remoteWrite.localRetention, f);
    }
    for (const svc of Object.values(s)) for (const p of svc.ports ?? []) assert.match(p, /^127\.0\.0\.1:/);
    // The rules the replicas load are the single-host stack's rule files.
    assert.ok(paths.alertRules.startsWith('observability/prometheus/rules/'));
  });
  test('VictoriaMetrics and vmalert run behind basic auth; every client of the store holds its credentials', async () => {
    const r = await tool('docker-compose', [...files, '--profile', 'long-range', 'config'], PASSWORD);
    assert.equal(r.code, 0, r.out);
    type Service = {
      entrypoint?: string[];
      command?: string[];
      volumes?: string[];
      secrets?: { source: string }[];
      healthcheck?: { test: string[] };
    };
    const c = parse(r.stdout) as {
      services: Record<string, Service>;
      secrets: Record<string, { file: string }>;
    };
    const { user, passwordFile } = monitoringConfig.remoteWrite.basicAuth;
    const secret = passwordFile.replace('/run/secrets/', '');
    assert.ok(c.secrets[secret]?.file.endsWith(`observability/secrets/${secret}`));
    const has = (name: string) =>
      assert.ok(
        c.services[name]!.secrets?.some((x) => x.source === secret),
        `${name} lacks ${secret}`,
      );
    for (const [name, binary] of [
      ['victoriametrics', '/victoria-metrics-prod'],
      ['vmalert', '/vmalert-prod'],
    ] as const) {
      const svc = c.services[name]!;
      assert.deepEqual(svc.entrypoint, ['/bin/sh', '/etc/victoriametrics/auth.sh', binary]);
      assert.ok(
        svc.volumes?.some((v) => v.endsWith('observability/ha/victoriametrics:/etc/victoriametrics:ro')),
      );
      has(name);
      // No password on a command line; auth.sh adds the user and -envflag.enable itself.
      assert.ok(!svc.command!.some((a) => /httpAuth|envflag|basicAuth\.password=/.test(a)), name);
      // Up, and refusing a request without the password.
      assert.match(
        svc.healthcheck!.test.join(' '),
        /wget -S .*\/api\/v1\/\w+ 2>&1 \| grep -q 'HTTP\/1\.\[01\] 401'/,
      );
    }
    const vmalert = c.services.vmalert!.command!;
    for (const client of ['datasource', 'remoteWrite', 'remoteRead']) {
      assert.ok(vmalert.includes(`-${client}.url=http://victoriametrics:8428`), client);
      assert.ok(vmalert.includes(`-${client}.basicAuth.username=${user}`), client);
      assert.ok(vmalert.includes(`-${client}.basicAuth.passwordFile=${passwordFile}`), client);
    }
    for (const name of [...Object.keys(monitoringConfig.ha.prometheusReplicas), 'grafana']) has(name);
    for (const replica of replicas) {
      const p = parse(await readFile(at(haPaths.prometheus(replica)), 'utf8')) as {
        remote_write: { basic_auth?: unknown }[];
      };
      assert.deepEqual(p.remote_write[0]!.basic_auth, { username: user, password_file: passwordFile });
    }
    const ds = (
      parse(await readFile(at(haPaths.grafanaDatasource), 'utf8')) as {
        datasources: Record<string, unknown>[];
      }
    ).datasources[0]!;
    assert.equal(ds.basicAuth, true);
    assert.equal(ds.basicAuthUser, user);
    assert.deepEqual(ds.secureJsonData, { basicAuthPassword: `$__file{${passwordFile}}` });
  });
});

describe('observability/ha/victoriametrics/auth.sh', () => {
  const GOOD = 'Abc.def~ghi+jkl/mno=pq-0123456789';
  /** Runs auth.sh with a password file holding `content`; the "program" prints what it was given. */
  async function auth(content: string | undefined, args: string[] = []) {
    const file = join(dir, 'victoriametrics_password');
    await rm(file, { force: true });
    if (content !== undefined) await writeFile(file, content);
    const show =
      'printf "%s|%s|%s|%s\\n" "$httpAuth_password" "$deleteAuthKey" "$search_resetCacheAuthKey" "$metricsAuthKey"; echo "$0 $*"';
    return tool('sh', [at(haPaths.vmAuth), 'sh', '-c', show, ...args], { VM_AUTH_PASSWORD_FILE: file });
  }

  test('hands the password over in the environment, a fresh admin key, the user and -envflag.enable on the command line', async () => {
    const a = await auth(`${GOOD}\n`);
    assert.equal(a.code, 0, a.out);
    const [vars, argv] = a.stdout.trim().split('\n');
    const [password, ...keys] = vars!.split('|');
    assert.equal(password, GOOD);
    assert.match(keys[0]!, /^[0-9a-f]{48}$/);
    assert.deepEqual(new Set(keys).size, 1);
    assert.equal(argv, `-envflag.enable -httpAuth.username=${monitoringConfig.remoteWrite.basicAuth.user}`);
    const b = await auth(GOOD);
    assert.notEqual(b.stdout.split('|')[1], keys[0], 'the admin key must differ per start');
    // Every admin key flag is set (flag name with . as _).
    const script = await readFile(at(haPaths.vmAuth), 'utf8');
    for (const flag of VM_ADMIN_KEY_FLAGS)
      assert.match(script, new RegExp(`^export ${flag.replaceAll('.', '_')}="\\$key"$`, 'm'));
  });

  for (const [what, content, message] of [
    ['a missing file', undefined, /is missing or unreadable/],
    ['an empty file', '', /at least 16 characters/],
    ['a short password', 'short-pass-123', /at least 16 characters/],
    ['two lines', `${GOOD}\n${GOOD}\n`, /must hold one line/],
    ['a $ (Grafana would expand it)', `${GOOD}$HOME`, /may hold only/],
    ['a space', `${GOOD} x`, /may hold only/],
  ] as const) {
    test(`refuses ${what}, without printing the content`, async () => {
      const r = await auth(content);
      assert.notEqual(r.code, 0);
      assert.match(r.out, message);
      assert.equal(r.stdout, '', 'the program must not start');
      if (content) assert.ok(!r.out.includes(content.trim()), r.out);
    });
  }

  test('refuses auth flags from the caller (a password there would be on the command line)', async () => {
    for (const flag of ['-httpAuth.password=x', '--httpAuth.username=', '-envflag.prefix=X_']) {
      const r = await auth(GOOD, [flag]);
      assert.notEqual(r.code, 0, flag);
      assert.match(r.out, /set by this script/);
    }
  });
});
