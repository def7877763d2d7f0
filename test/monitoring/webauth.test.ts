// Prometheus and Alertmanager behind basic auth (`--web.config.file` with bcrypt hashes from secret
// files): no API, UI or lifecycle endpoint answers without the credentials, and the stack still works
// with them: Prometheus scrapes itself and delivers alerts to Alertmanager through basic auth.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import { parse, stringify } from 'yaml';
import { monitoringConfig } from '../../src/monitoring/config.ts';
import { webAuthPaths, webConfigFiles } from '../../src/monitoring/webauth.ts';
import { type Alertmanager, startAlertmanager } from '../support/alertmanager.ts';
import { makeTempDir, removeTempDir } from '../support/processes.ts';
import { type Prometheus, startPrometheus } from '../support/prometheus.ts';

const run = promisify(execFile);
const RENDER = resolve(import.meta.dirname, '../..', webAuthPaths.render);
const w = monitoringConfig.webAuth;
const secretName = (s: 'prometheus' | 'alertmanager') => w[s].passwordFile.replace('/run/secrets/', '');

/** Runs render.sh (what the compose service web-config runs) over `secrets`; resolves with its exit and output. */
async function render(dir: string, secrets: Record<string, string>) {
  const secretsDir = join(dir, 'secrets');
  await mkdir(secretsDir, { recursive: true });
  for (const [name, content] of Object.entries(secrets)) await writeFile(join(secretsDir, name), content);
  const out = join(dir, 'web-config');
  try {
    const r = await run('sh', [RENDER], {
      env: { PATH: process.env.PATH, WEB_CONFIG_SECRETS: secretsDir, WEB_CONFIG_DIR: out },
    });
    return { code: 0, output: r.stdout + r.stderr, out, secretsDir };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}`, out, secretsDir };
  }
}

describe('observability/web-config/render.sh (the web-config service)', () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir('render-web-config');
  });
  after(async () => {
    await removeTempDir(dir);
  });
  const good = {
    [secretName('prometheus')]: 'p9Qw3-Zr7.Lk2_Xv8~Mn4+Ty6/Bc1=\n',
    [secretName('alertmanager')]: 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5',
  };

  test('writes bcrypt hashes of the secret files and client configs naming them, never a password', async () => {
    const r = await render(join(dir, 'ok'), good);
    assert.equal(r.code, 0, r.output);
    assert.deepEqual((await readdir(r.out)).sort(), [
      webConfigFiles.client('alertmanager'),
      webConfigFiles.server('alertmanager'),
      webConfigFiles.client('prometheus'),
      webConfigFiles.server('prometheus'),
    ]);
    for (const server of ['prometheus', 'alertmanager'] as const) {
      const password = good[secretName(server)]!.trim();
      const file = join(r.out, webConfigFiles.server(server));
      const text = await readFile(file, 'utf8');
      assert.ok(!text.includes(password));
      const hash = (parse(text) as { basic_auth_users: Record<string, string> }).basic_auth_users[
        w[server].user
      ]!;
      assert.match(hash, new RegExp(`^\\$2[aby]\\$${w.bcryptCost}\\$`));
      assert.ok(await bcrypt.compare(password, hash), `${server}: the hash does not match the password`);
      assert.ok(!(await bcrypt.compare(`${password}x`, hash)));
      // Readable by the servers' user (nobody), the folder is theirs alone to mount.
      assert.equal((await stat(file)).mode & 0o777, 0o644);
      await run('promtool', ['check', 'web-config', file]);
      assert.deepEqual(parse(await readFile(join(r.out, webConfigFiles.client(server)), 'utf8')), {
        basic_auth: { username: w[server].user, password_file: join(r.secretsDir, secretName(server)) },
      });
    }
    assert.ok(!r.output.includes(good[secretName('prometheus')]!.trim()));
  });

  const refused: [what: string, content: string | undefined, message: RegExp][] = [
    ['a missing file', undefined, /alertmanager_web_password is missing or unreadable/],
    ['an empty file', '', /at least 16 characters/],
    ['a short password', 'short-password\n', /at least 16 characters/],
    ['more than bcrypt takes', `${'a'.repeat(73)}\n`, /at most 72 characters/],
    ['two lines', 'first-line-password\nsecond-line-password\n', /one line/],
    ['a space', 'a password with spaces\n', /only letters, digits/],
    ['a dollar sign (Grafana would expand it)', 'abcdefgh$HOMEabcdefgh\n', /only letters, digits/],
  ];
  for (const [i, [what, content, message]] of refused.entries()) {
    test(`refuses ${what}, naming the file and not the content`, async () => {
      const secrets: Record<string, string> = { [secretName('prometheus')]: good[secretName('prometheus')]! };
      if (content !== undefined) secrets[secretName('alertmanager')] = content;
      const r = await render(join(dir, `refused-${i}`), secrets);
      assert.notEqual(r.code, 0);
      assert.match(r.output, message);
      if (content && content.trim().length > 0) assert.ok(!r.output.includes(content.trim()), r.output);
      // Nothing written for the refused server.
      await assert.rejects(readFile(join(r.out, webConfigFiles.server('alertmanager'))));
    });
  }
});

describe('basic auth on Prometheus and Alertmanager', { timeout: 120_000 }, () => {
  let am: Alertmanager;
  let prom: Prometheus;
  before(async () => {
    am = await startAlertmanager({
      basicAuth: { user: 'prometheus' },
      configYaml: stringify({ route: { receiver: 'null' }, receivers: [{ name: 'null' }] }),
    });
    prom = await startPrometheus({
      basicAuth: { user: 'admin' },
      // The first evaluation can come before Alertmanager is discovered: resend within a second.
      extraArgs: ['--rules.alert.resend-delay=1s'],
      ruleFiles: {
        'rules.yml': stringify({
          groups: [{ name: 'always', rules: [{ alert: 'AlwaysFiring', expr: 'vector(1)' }] }],
        }),
      },
      configYaml: ({ port, dir }) =>
        stringify({
          global: { scrape_interval: '1s', evaluation_interval: '1s' },
          rule_files: [join(dir, 'rules.yml')],
          alerting: {
            alertmanagers: [
              {
                static_configs: [{ targets: [`127.0.0.1:${am.port}`] }],
                basic_auth: { username: 'prometheus', password_file: join(am.dir, 'web_password') },
              },
            ],
          },
          scrape_configs: [
            {
              job_name: 'prometheus',
              static_configs: [{ targets: [`127.0.0.1:${port}`] }],
              basic_auth: { username: 'admin', password_file: join(dir, 'web_password') },
            },
          ],
        }),
    });
  });
  after(async () => {
    await Promise.allSettled([prom?.stop(), am?.stop()]);
  });

  test('nothing answers without the credentials, lifecycle endpoints included', async () => {
    const wrong = { authorization: `Basic ${Buffer.from('admin:guess').toString('base64')}` };
    for (const [base, path, method] of [
      [prom.url, '/api/v1/query?query=up', 'GET'],
      [prom.url, '/graph', 'GET'],
      [prom.url, '/-/reload', 'POST'],
      [prom.url, '/-/quit', 'POST'],
      [prom.url, '/metrics', 'GET'],
      [am.url, '/api/v2/alerts', 'GET'],
      [am.url, '/api/v2/silences', 'GET'],
      [am.url, '/-/reload', 'POST'],
    ] as const) {
      for (const headers of [{}, wrong]) {
        const res = await fetch(`${base}${path}`, { method, headers });
        await res.arrayBuffer();
        assert.equal(res.status, 401, `${method} ${base}${path}`);
      }
    }
    // The web config holds only the bcrypt hash, never the password.
    const { readFile } = await import('node:fs/promises');
    const web = await readFile(join(prom.dir, 'web.yml'), 'utf8');
    assert.match(web, /admin: \$2[aby]\$10\$/);
    assert.ok(!web.includes(await readFile(join(prom.dir, 'web_password'), 'utf8')));
  });

  test('with them, Prometheus scrapes itself and its alerts reach Alertmanager', async () => {
    await prom.waitFor(
      async () => (await prom.targets()).find((t) => t.health === 'up'),
      30_000,
      'the self-scrape through basic auth',
    );
    await prom.waitFor(
      async () => (await am.alerts()).find((a) => a.labels.alertname === 'AlwaysFiring'),
      30_000,
      'the alert delivered to Alertmanager through basic auth',
    );
    await prom.reload();
  });
});
