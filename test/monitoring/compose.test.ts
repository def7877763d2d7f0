// docker-compose.observability.yml, validated offline by docker-compose itself (no engine needed) and
// cross-checked against the generated configs it mounts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { monitoringConfig } from '../../src/monitoring/config.ts';
import { createContext } from '../../src/monitoring/context.ts';
import { paths } from '../../src/monitoring/generate.ts';
import { haPaths } from '../../src/monitoring/ha.ts';
import {
  WEB_CONFIG_IMAGE,
  WEB_SERVERS,
  webAuthPaths,
  webConfigFlag,
  webHealthcheck,
  webSecretName,
} from '../../src/monitoring/webauth.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const BASE = 'docker-compose.observability.yml';
const DEV = 'docker-compose.observability.dev.yml';
const HA = haPaths.compose;

interface ComposeService {
  image: string;
  ports?: string[];
  healthcheck?: { test: string[]; interval?: string; timeout?: string; retries?: number };
  restart?: string;
  entrypoint?: string[];
  network_mode?: string;
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  environment?: Record<string, string>;
  command?: string[];
  secrets?: { source: string }[];
  extra_hosts?: string[];
  volumes?: string[];
  networks?: Record<string, unknown>;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  networks: Record<string, { internal?: boolean }>;
  volumes: Record<string, unknown>;
  secrets: Record<string, { file: string }>;
}

/** `docker-compose ... config` with only the given variables set (plus PATH). */
async function compose(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run('docker-compose', args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const PASSWORD = { GF_SECURITY_ADMIN_PASSWORD: 'a-long-random-password' };

describe('docker-compose.observability.yml', () => {
  test('refuses to start without a Grafana admin password, naming the variable', async () => {
    const r = await compose(['-f', BASE, 'config', '-q']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /GF_SECURITY_ADMIN_PASSWORD/);
  });

  test('docker-compose config -q validates it when the password is set', async () => {
    const r = await compose(['-f', BASE, 'config', '-q'], PASSWORD);
    assert.equal(r.code, 0, r.stderr);
  });

  test('pinned images, health checks, UIs only on 127.0.0.1, named volumes, internal log network', async () => {
    const r = await compose(['-f', BASE, 'config'], PASSWORD);
    assert.equal(r.code, 0, r.stderr);
    const c = parse(r.stdout) as ComposeFile;
    const names = Object.keys(c.services).sort();
    assert.deepEqual(names, [
      'alertmanager',
      'app',
      'grafana',
      'loki',
      'mysqld-exporter',
      'node-exporter',
      'postgres-exporter',
      'prometheus',
      'promtail',
      'redis-exporter',
      'web-config',
    ]);
    const published: string[] = [];
    for (const [name, s] of Object.entries(c.services)) {
      assert.match(s.image, /:[vV]?\d+\.\d+\.\d+(-[a-z]+)?$/, `${name}: image not pinned to a version`);
      // web-config runs once before Prometheus and Alertmanager and exits.
      if (name === 'web-config') continue;
      assert.ok(s.healthcheck?.test?.length, `${name}: no health check`);
      assert.equal(s.restart, 'unless-stopped', `${name}: no restart policy`);
      for (const p of s.ports ?? []) {
        assert.match(p, /^127\.0\.0\.1:/, `${name}: port ${p} is not bound to 127.0.0.1`);
        published.push(`${name}=${p}`);
      }
    }
    assert.deepEqual(published.sort(), [
      'alertmanager=127.0.0.1:9093:9093/tcp',
      'app=127.0.0.1:8080:8080/tcp',
      'grafana=127.0.0.1:3000:3000/tcp',
      'prometheus=127.0.0.1:9090:9090/tcp',
    ]);
    assert.deepEqual(Object.keys(c.volumes).sort(), [
      'alertmanager-data',
      'app-data',
      'grafana-data',
      'loki-data',
      'prometheus-data',
      'promtail-positions',
      'web-config',
    ]);
    assert.equal(c.networks.logs?.internal, true);
    assert.deepEqual(Object.keys(c.services.loki!.networks ?? {}), ['logs']);
    assert.deepEqual(c.services['postgres-exporter']!.profiles, ['postgres']);
    // Scraped statically (up == 0 when it is gone), so it runs with the stack, not in a profile.
    assert.equal(c.services['mysqld-exporter']!.profiles, undefined);
    assert.ok(c.services.prometheus!.extra_hosts?.includes('host.docker.internal:host-gateway'));
    assert.equal(
      c.services.grafana!.environment?.GF_SECURITY_ADMIN_PASSWORD,
      PASSWORD.GF_SECURITY_ADMIN_PASSWORD,
    );
    assert.equal(c.services.grafana!.environment?.GF_AUTH_ANONYMOUS_ENABLED, 'false');
  });

  test('retention and remote write come from the environment', async () => {
    const r = await compose(['-f', BASE, 'config'], {
      ...PASSWORD,
      PROMETHEUS_RETENTION_TIME: '90d',
      PROMETHEUS_RETENTION_SIZE: '50GB',
      PROMETHEUS_REMOTE_WRITE_URL: 'http://victoria:8428/api/v1/write',
    });
    const p = (parse(r.stdout) as ComposeFile).services.prometheus!;
    assert.ok(p.command?.includes('--storage.tsdb.retention.time=90d'));
    assert.ok(p.command?.includes('--storage.tsdb.retention.size=50GB'));
    assert.equal(p.environment?.PROMETHEUS_REMOTE_WRITE_URL, 'http://victoria:8428/api/v1/write');
    const defaults = (parse((await compose(['-f', BASE, 'config'], PASSWORD)).stdout) as ComposeFile).services
      .prometheus!;
    assert.ok(defaults.command?.includes('--storage.tsdb.retention.time=15d'));
    assert.equal(defaults.environment?.PROMETHEUS_REMOTE_WRITE_URL, '');
  });

  test("the development override (and only it) gives Grafana the spec's admin/admin", async () => {
    const r = await compose(['--env-file', 'observability/dev.env', '-f', BASE, '-f', DEV, 'config']);
    assert.equal(r.code, 0, r.stderr);
    const c = parse(r.stdout) as ComposeFile;
    assert.equal(c.services.grafana!.environment?.GF_SECURITY_ADMIN_USER, 'admin');
    assert.equal(c.services.grafana!.environment?.GF_SECURITY_ADMIN_PASSWORD, 'admin');
    assert.doesNotMatch(await readFile(join(ROOT, BASE), 'utf8'), /PASSWORD: admin/);
  });

  test('the generated configs reach the compose services and secrets they name', async () => {
    const c = parse((await compose(['-f', BASE, 'config'], PASSWORD)).stdout) as ComposeFile;
    const prom = parse(await readFile(join(ROOT, paths.prometheus), 'utf8')) as {
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
      scrape_configs: {
        job_name: string;
        static_configs?: { targets: string[] }[];
        dns_sd_configs?: { names: string[] }[];
        authorization?: { credentials_file: string };
      }[];
    };
    const hosts = prom.scrape_configs.flatMap((s) => [
      ...(s.static_configs ?? []).flatMap((x) => x.targets.map((t) => t.split(':')[0]!)),
      ...(s.dns_sd_configs ?? []).flatMap((x) => x.names),
    ]);
    for (const host of hosts) {
      if (host === 'localhost' || host === 'host.docker.internal') continue;
      assert.ok(c.services[host], `prometheus.yml scrapes ${host}, which is no compose service`);
    }
    const am = prom.alerting.alertmanagers[0]!.static_configs[0]!.targets[0]!.split(':')[0]!;
    assert.ok(c.services[am]);

    const secretPath = (service: string, file: string) => {
      const name = file.replace('/run/secrets/', '');
      assert.ok(c.secrets[name], `no secret ${name}`);
      assert.ok(
        c.services[service]!.secrets?.some((s) => s.source === name),
        `${service} lacks secret ${name}`,
      );
    };
    const service = prom.scrape_configs.find((s) => s.job_name === 'askproai')!;
    secretPath('prometheus', service.authorization!.credentials_file);
    const amConfig = parse(await readFile(join(ROOT, paths.alertmanager), 'utf8')) as {
      global: { smtp_auth_password_file: string };
      receivers: { slack_configs?: { api_url_file: string }[] }[];
    };
    secretPath('alertmanager', amConfig.global.smtp_auth_password_file);
    secretPath(
      'alertmanager',
      amConfig.receivers.find((r) => r.slack_configs)!.slack_configs![0]!.api_url_file,
    );
    // Secret files stay out of git.
    assert.match(await readFile(join(ROOT, 'observability/secrets/.gitignore'), 'utf8'), /^\*$/m);
  });
});

describe('basic auth on Prometheus and Alertmanager in every compose file', () => {
  const ctx = createContext();
  const stacks: [what: string, args: string[], env: Record<string, string>][] = [
    ['single host', ['-f', BASE], PASSWORD],
    ['development', ['--env-file', 'observability/dev.env', '-f', BASE, '-f', DEV], {}],
    ['HA', ['-f', BASE, '-f', HA, '--profile', 'long-range'], PASSWORD],
  ];
  for (const [what, args, env] of stacks) {
    test(`${what}: every Prometheus and Alertmanager runs the web config, no lifecycle API, clients hold the secrets`, async () => {
      const r = await compose([...args, 'config'], env);
      assert.equal(r.code, 0, r.stderr);
      const c = parse(r.stdout) as ComposeFile;
      const secret = (s: 'prometheus' | 'alertmanager') => webSecretName(ctx, s);
      const servers = Object.entries(c.services).filter(([, s]) =>
        /^prom\/(prometheus|alertmanager):/.test(s.image),
      );
      assert.equal(servers.length, what === 'HA' ? 4 : 2);
      for (const [name, s] of servers) {
        const server = s.image.startsWith('prom/prometheus') ? 'prometheus' : 'alertmanager';
        assert.ok(s.command?.includes(webConfigFlag(ctx, server)), `${name}: no --web.config.file`);
        assert.ok(!s.command?.includes('--web.enable-lifecycle'), `${name}: lifecycle API on`);
        assert.ok(s.volumes?.includes(`web-config:${monitoringConfig.webAuth.dir}:ro`), `${name}: volume`);
        assert.deepEqual(s.depends_on?.['web-config'], { condition: 'service_completed_successfully' }, name);
        const needs =
          server === 'prometheus' ? [secret('prometheus'), secret('alertmanager')] : [secret('alertmanager')];
        for (const n of needs)
          assert.ok(
            s.secrets?.some((x) => x.source === n),
            `${name} lacks ${n}`,
          );
        const port = server === 'prometheus' ? 9090 : monitoringConfig.ha.alertmanagerPort;
        assert.deepEqual(s.healthcheck, webHealthcheck(ctx, server, port), `${name}: health check`);
      }
      const grafana = c.services.grafana!;
      for (const server of WEB_SERVERS)
        assert.ok(
          grafana.secrets?.some((x) => x.source === secret(server)),
          `grafana lacks ${secret(server)}`,
        );
      // The one-shot service that writes the web configs: no network, only the two passwords.
      const w = c.services['web-config']!;
      assert.equal(w.image, WEB_CONFIG_IMAGE);
      assert.equal(w.network_mode, 'none');
      assert.deepEqual(w.entrypoint, ['/bin/sh', '/etc/web-config-render/render.sh']);
      assert.ok(w.volumes?.includes(`${join(ROOT, webAuthPaths.dir)}:/etc/web-config-render:ro`));
      assert.ok(w.volumes?.includes('web-config:/web-config:rw'), JSON.stringify(w.volumes));
      assert.deepEqual(w.secrets?.map((x) => x.source).sort(), WEB_SERVERS.map(secret).sort());
      for (const server of WEB_SERVERS) assert.ok(c.secrets[secret(server)], `no secret ${secret(server)}`);
      if (what === 'HA') {
        const vmalert = c.services.vmalert!;
        const urls = vmalert.command!.filter((a) => a.startsWith('-notifier.url='));
        const files = vmalert.command!.filter((a) => a.startsWith('-notifier.basicAuth.passwordFile='));
        assert.equal(files.length, urls.length);
        assert.ok(files.every((f) => f.endsWith(monitoringConfig.webAuth.alertmanager.passwordFile)));
        assert.ok(vmalert.secrets?.some((x) => x.source === secret('alertmanager')));
      }
    });
  }

  test('the generated clients use the credentials: alerting, self-scrape, Alertmanager scrape, Grafana', async () => {
    for (const file of [paths.prometheus, haPaths.prometheus('a'), haPaths.prometheus('b')]) {
      const p = parse(await readFile(join(ROOT, file), 'utf8')) as {
        alerting: { alertmanagers: { basic_auth?: unknown }[] };
        scrape_configs: { job_name: string; basic_auth?: unknown }[];
      };
      const auth = (s: 'prometheus' | 'alertmanager') => ({
        username: monitoringConfig.webAuth[s].user,
        password_file: monitoringConfig.webAuth[s].passwordFile,
      });
      for (const am of p.alerting.alertmanagers) assert.deepEqual(am.basic_auth, auth('alertmanager'), file);
      const job = (n: string) => p.scrape_configs.find((j) => j.job_name === n)!;
      assert.deepEqual(job(monitoringConfig.jobs.prometheus).basic_auth, auth('prometheus'), file);
      assert.deepEqual(job(monitoringConfig.jobs.alertmanager).basic_auth, auth('alertmanager'), file);
    }
    // No password or hash of one is committed: only references to the secret files.
    for (const file of [paths.grafanaDatasources, BASE, DEV, HA, webAuthPaths.render]) {
      assert.doesNotMatch(await readFile(join(ROOT, file), 'utf8'), /\$2[aby]\$\d\d\$/, file);
    }
  });
});
