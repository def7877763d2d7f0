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
import { monitoringConfig } from '../../src/monitoring/config.ts';
import { createContext } from '../../src/monitoring/context.ts';
import { paths, toYaml } from '../../src/monitoring/generate.ts';
import { alertCases } from '../../src/monitoring/rule-tests/cases.ts';
import { alertRuleTests, RULE_TESTS_DIR, ruleTestFiles } from '../../src/monitoring/rule-tests/index.ts';
import { sloRuleGroups } from '../../src/monitoring/slo/rules.ts';
import { sloSpecs } from '../../src/monitoring/slo/specs.ts';
import { runTool } from '../support/tool.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const at = (p: string) => join(ROOT, p);

const tool = (cmd: string, args: string[], timeoutMs?: number) => runTool(cmd, args, { timeoutMs });

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'askproai-promtool-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A test file that runs outside the repository: its relative rule_files made absolute. */
function detached(tests: Record<string, unknown>, rules: Record<string, string> = {}): string {
  const files = (tests.rule_files as string[]).map((f) => rules[f] ?? at(join(RULE_TESTS_DIR, f)));
  return stringify({ ...tests, rule_files: files });
}

describe('Prometheus rules', () => {
  test('promtool check rules accepts every generated rule file', async () => {
    const r = await tool('promtool', [
      'check',
      'rules',
      at(paths.recordingRules),
      at(paths.alertRules),
      at(paths.sloRules),
    ]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /SUCCESS: 8 rules found/);
    assert.match(r.out, /SUCCESS: 72 rules found/);
  });

  test('every generated alert has promtool test cases', async () => {
    const alertsYaml = parse(await readFile(at(paths.alertRules), 'utf8')) as {
      groups: { name: string; rules: { alert: string }[] }[];
    };
    const generated = new Set(alertsYaml.groups.flatMap((g) => g.rules.map((r) => r.alert)));
    const covered = new Set(alertCases.map((c) => c.alert));
    assert.deepEqual(
      [...generated].sort(),
      [...covered].sort(),
      'alerts without test cases (or cases for no alert)',
    );

    const slo = parse(await readFile(at(paths.sloRules), 'utf8')) as {
      groups: { rules: { alert?: string }[] }[];
    };
    const sloAlerts = new Set(slo.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : []))));
    const sloTests = parse(await readFile(at(`${RULE_TESTS_DIR}/slo.test.yml`), 'utf8')) as {
      tests: { name: string; alert_rule_test: { alertname: string }[] }[];
    };
    for (const alert of sloAlerts) {
      const names = sloTests.tests
        .filter((t) => t.alert_rule_test.some((a) => a.alertname === alert))
        .map((t) => t.name.replace(/^[a-z-]+: /, ''));
      for (const scenario of [
        'a total outage after an hour of good traffic pages within 5 minutes',
        'a 2x slow burn opens a ticket and never pages',
        'errors at 0.9x the budget rate raise nothing',
        'no traffic at all raises nothing',
      ]) {
        assert.ok(names.includes(scenario), `${alert}: no test "${scenario}"`);
      }
    }
  });

  test('the committed tests are what generation produces, and promtool passes them all', async () => {
    for (const [path, tests] of ruleTestFiles(createContext())) {
      assert.equal(await readFile(at(path), 'utf8'), toYaml(tests), `${path} is stale`);
    }
    // Exactly what ops run, from the repository root, without Node.
    // promtool evaluates every rule at every step: minutes on a busy machine.
    const r = await tool(
      'sh',
      ['-c', `cd ${JSON.stringify(ROOT)} && promtool test rules ${RULE_TESTS_DIR}/*.yml`],
      600_000,
    );
    assert.equal(r.code, 0, r.out);
    assert.equal(r.out.match(/SUCCESS/g)?.length, 3, r.out);
  });

  test('a broken expectation makes promtool fail (the alert cases are not vacuous)', async () => {
    const broken = alertCases.map((c, i) =>
      i === 0
        ? {
            ...c,
            expected: c.expected.map((e) => ({ ...e, exp_labels: { ...e.exp_labels, severity: 'info' } })),
          }
        : c,
    );
    const file = join(dir, 'broken.test.yml');
    await writeFile(file, detached(alertRuleTests(createContext(), broken.slice(0, 1))));
    const r = await tool('promtool', ['test', 'rules', file]);
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /FAILED/);
  });

  test('SLO rules with a hand-typed burn-rate factor fail the committed SLO tests', async () => {
    // 20 % of the budget in 1 h instead of 2 %: a factor of 144, so the outage pages late.
    const config = structuredClone(monitoringConfig);
    config.slo.alerts[0]!.budgetShare = 0.2;
    config.slo.outageDetection = '1h';
    const rules = join(dir, 'slo.yml');
    await writeFile(rules, toYaml({ groups: sloRuleGroups(createContext(config)) }));
    const tests = parse(await readFile(at(`${RULE_TESTS_DIR}/slo.test.yml`), 'utf8')) as Record<
      string,
      unknown
    >;
    const file = join(dir, 'slo-broken.test.yml');
    await writeFile(file, detached(tests, { '../rules/slo.yml': rules }));
    const r = await tool('promtool', ['test', 'rules', file], 600_000);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /a total outage after an hour of good traffic pages within 5 minutes/);
  });

  test('an objective too low to page a total outage within 5 minutes is refused by name', () => {
    const ctx = createContext();
    const spec = { ...sloSpecs[0]!, name: 'lenient', objective: 0.99 };
    assert.throws(
      () => sloRuleGroups(ctx, [spec]),
      /lenient: objective 0\.99 pages a total outage only after/,
    );
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
    assert.match(r.out, /3 rule files found/);
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
    assert.match(r.out, /3 receivers/);
    assert.match(r.out, /1 templates/);
  });

  const routes: [labels: string[], receivers: string][] = [
    [['alertname=AskProAIApiLatencyHigh', 'severity=critical', 'service=askproai'], 'slack,email'],
    [['alertname=AskProAIApiLatencyHigh', 'severity=warning', 'service=askproai'], 'slack'],
    [['alertname=TargetDown', 'severity=critical', 'service=askproai'], 'slack,email'],
    [['alertname=HostDiskFull', 'severity=warning', 'service=host'], 'slack'],
    // An alert without a severity still reaches someone.
    [['alertname=Custom'], 'slack'],
    // The dead man's switch goes to the heartbeat only.
    [['alertname=Watchdog', 'severity=none', 'service=monitoring'], 'heartbeat'],
    // A total outage and an SLO page reach e-mail as well as Slack.
    [['alertname=AskProAIHighErrorRate', 'severity=critical', 'service=askproai'], 'slack,email'],
    [
      ['alertname=AskProAISloBurnApiAvailability', 'severity=critical', 'slo=api-availability'],
      'slack,email',
    ],
    [['alertname=AskProAISloBurnApiAvailability', 'severity=warning', 'slo=api-availability'], 'slack'],
    // Silence alerts take the business-hours route (delivered only inside its time interval).
    [['alertname=AskProAINoCalls', 'severity=critical', 'active=business-hours'], 'slack,email'],
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
