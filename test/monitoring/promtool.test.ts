// The generated Prometheus and Alertmanager files, checked by the tools that load them in production:
// promtool (config, rules, unit tests of every alert) and amtool (config, routing).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { paths } from '../../src/monitoring/generate.ts';
import { alertCases, promtoolTests } from '../../src/monitoring/rule-tests/cases.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const at = (p: string) => join(ROOT, p);

/** Runs a tool; resolves with its output and exit code instead of throwing on a non-zero exit. */
async function tool(cmd: string, args: string[]): Promise<{ code: number; out: string; stdout: string }> {
  try {
    const { stdout, stderr } = await run(cmd, args, { timeout: 60_000 });
    return { code: 0, out: stdout + stderr, stdout };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    const stdout = e.stdout ?? '';
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${stdout}${e.stderr ?? ''}`, stdout };
  }
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'askproai-promtool-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Prometheus rules', () => {
  test('promtool check rules accepts both generated rule files', async () => {
    const r = await tool('promtool', ['check', 'rules', at(paths.recordingRules), at(paths.alertRules)]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /SUCCESS: 8 rules found/);
  });

  test('every generated alert has promtool test cases, and all of them pass', async () => {
    const alertsYaml = parse(await readFile(at(paths.alertRules), 'utf8')) as {
      groups: { name: string; rules: { alert: string }[] }[];
    };
    const recordingYaml = parse(await readFile(at(paths.recordingRules), 'utf8')) as {
      groups: { name: string }[];
    };
    const generated = new Set(alertsYaml.groups.flatMap((g) => g.rules.map((r) => r.alert)));
    const covered = new Set(alertCases.map((c) => c.alert));
    assert.deepEqual(
      [...generated].sort(),
      [...covered].sort(),
      'alerts without test cases (or cases for no alert)',
    );

    // Recording rules first, so an alert sees the quantile of the same evaluation.
    const order = [...recordingYaml.groups, ...alertsYaml.groups].map((g) => g.name);
    const testsFile = join(dir, 'alerts.test.yml');
    await writeFile(
      testsFile,
      stringify(promtoolTests([at(paths.recordingRules), at(paths.alertRules)], order)),
    );
    const r = await tool('promtool', ['test', 'rules', testsFile]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /SUCCESS/);
  });

  test('a broken expectation makes promtool fail (the cases are not vacuous)', async () => {
    const broken = alertCases.map((c, i) =>
      i === 0
        ? {
            ...c,
            expected: c.expected.map((e) => ({ ...e, exp_labels: { ...e.exp_labels, severity: 'info' } })),
          }
        : c,
    );
    const file = join(dir, 'broken.test.yml');
    const tests = promtoolTests([at(paths.recordingRules), at(paths.alertRules)], []) as { tests: unknown[] };
    const first = broken[0]!;
    await writeFile(
      file,
      stringify({
        ...tests,
        tests: [
          {
            interval: '1m',
            input_series: first.above,
            alert_rule_test: [
              {
                eval_time: `${first.activeAt + first.forMinutes}m`,
                alertname: first.alert,
                exp_alerts: first.expected,
              },
            ],
          },
        ],
      }),
    );
    const r = await tool('promtool', ['test', 'rules', file]);
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /FAILED/);
  });
});

describe('Prometheus configuration', () => {
  test('promtool check config accepts prometheus.yml (paths pointed at this checkout)', async () => {
    const config = await readFile(at(paths.prometheus), 'utf8');
    const tokenFile = join(dir, 'metrics_token');
    await writeFile(tokenFile, 'token-for-promtool\n');
    const local = config
      .replace('/etc/prometheus/rules/*.yml', join(ROOT, 'observability/prometheus/rules/*.yml'))
      .replace('/run/secrets/metrics_token', tokenFile);
    const file = join(dir, 'prometheus.yml');
    await writeFile(file, local);
    const r = await tool('promtool', ['check', 'config', file]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /2 rule files found/);
  });

  test('the entrypoint adds remote_write only when asked, and the result is still valid', async () => {
    const entrypoint = at(paths.prometheusEntrypoint);
    const env = { ...process.env, PROMETHEUS_CONFIG_SOURCE: at(paths.prometheus) };
    const plain = await run('sh', [entrypoint, 'render'], { env });
    assert.equal(plain.stdout, await readFile(at(paths.prometheus), 'utf8'));

    const withRemote = await run('sh', [entrypoint, 'render'], {
      env: {
        ...env,
        PROMETHEUS_REMOTE_WRITE_URL: 'https://vm.example.org/api/v1/write?tenant="a"',
        PROMETHEUS_REMOTE_WRITE_USERNAME: 'prometheus',
      },
    });
    const parsed = parse(withRemote.stdout) as { remote_write: unknown[] };
    assert.deepEqual(parsed.remote_write, [
      {
        url: 'https://vm.example.org/api/v1/write?tenant="a"',
        basic_auth: { username: 'prometheus', password_file: '/run/secrets/remote_write_password' },
      },
    ]);

    const bad = await tool('env', [
      `PROMETHEUS_CONFIG_SOURCE=${at(paths.prometheus)}`,
      'PROMETHEUS_REMOTE_WRITE_URL=vm:8428',
      'sh',
      entrypoint,
      'render',
    ]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.out, /PROMETHEUS_REMOTE_WRITE_URL must start with http/);
  });
});

describe('Alertmanager configuration', () => {
  test('amtool check-config accepts alertmanager.yml and finds the template', async () => {
    const config = (await readFile(at(paths.alertmanager), 'utf8')).replace(
      '/etc/alertmanager/templates/*.tmpl',
      join(ROOT, 'observability/alertmanager/templates/*.tmpl'),
    );
    const file = join(dir, 'alertmanager.yml');
    await writeFile(file, config);
    const r = await tool('amtool', ['check-config', file]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /1 inhibit rules/);
    assert.match(r.out, /2 receivers/);
    assert.match(r.out, /1 templates/);
  });

  const routes: [labels: string[], receivers: string][] = [
    [['alertname=AskProAIApiLatencyHigh', 'severity=critical', 'service=askproai'], 'slack,email'],
    [['alertname=AskProAIApiLatencyHigh', 'severity=warning', 'service=askproai'], 'slack'],
    [['alertname=TargetDown', 'severity=critical', 'service=askproai'], 'slack,email'],
    [['alertname=HostDiskFull', 'severity=warning', 'service=host'], 'slack'],
    // An alert without a severity still reaches someone.
    [['alertname=Custom'], 'slack'],
  ];
  for (const [labels, receivers] of routes) {
    test(`amtool config routes test: ${labels.join(' ')} → ${receivers}`, async () => {
      const r = await tool('amtool', [
        'config',
        'routes',
        'test',
        `--config.file=${at(paths.alertmanager)}`,
        ...labels,
      ]);
      assert.equal(r.code, 0, r.out);
      assert.equal(r.stdout.trim(), receivers, r.out);
    });
  }

  test('the committed config holds no secret, only files to read them from', async () => {
    const config = parse(await readFile(at(paths.alertmanager), 'utf8')) as {
      global: Record<string, unknown>;
      receivers: { slack_configs?: Record<string, unknown>[] }[];
    };
    assert.equal(config.global.smtp_auth_password, undefined);
    assert.equal(config.global.smtp_auth_password_file, '/run/secrets/smtp_password');
    const slack = config.receivers.flatMap((r) => r.slack_configs ?? []);
    assert.ok(slack.length > 0);
    for (const s of slack) {
      assert.equal(s.api_url, undefined);
      assert.equal(s.api_url_file, '/run/secrets/slack_webhook_url');
      assert.equal(s.send_resolved, true);
    }
    assert.doesNotMatch(await readFile(at(paths.alertmanager), 'utf8'), /\$\{/);
  });
});
