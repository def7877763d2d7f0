// docker-compose.observability.yml, validated offline by docker-compose itself (no engine needed) and
// cross-checked against the generated configs it mounts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { paths } from '../../src/monitoring/generate.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const BASE = 'docker-compose.observability.yml';
const DEV = 'docker-compose.observability.dev.yml';

interface ComposeService {
  image: string;
  ports?: string[];
  healthcheck?: { test: string[] };
  restart?: string;
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
    ]);
    const published: string[] = [];
    for (const [name, s] of Object.entries(c.services)) {
      assert.match(s.image, /:[vV]?\d+\.\d+\.\d+(-[a-z]+)?$/, `${name}: image not pinned to a version`);
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
