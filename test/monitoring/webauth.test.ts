// Prometheus and Alertmanager behind basic auth (`--web.config.file` with bcrypt hashes from secret
// files): no API, UI or lifecycle endpoint answers without the credentials, and the stack still works
// with them: Prometheus scrapes itself and delivers alerts to Alertmanager through basic auth.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { type Alertmanager, startAlertmanager } from '../support/alertmanager.ts';
import { type Prometheus, startPrometheus } from '../support/prometheus.ts';

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
