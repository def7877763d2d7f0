// The generated stack, live on loopback: the service as a real process, Prometheus running the generated
// prometheus.yml (rendered by the generated entrypoint, with remote_write to VictoriaMetrics) and the
// generated rules, Alertmanager running the generated routing and templates, node and redis exporters,
// and local Slack and SMTP sinks. Prometheus and Alertmanager run behind basic auth with the web configs
// the generated observability/web-config/render.sh writes from secret files (as the compose service
// web-config does), without the lifecycle API, as docker-compose.observability.yml runs them; every
// client (Prometheus' alerting and scrapes, Grafana's datasources, the compose health checks) uses the
// secret files. Test overrides: scrape/evaluation intervals, rate windows and `for:` (seconds instead
// of minutes), and the addresses of targets, sinks and secret files.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { alertmanagerTemplates, TEMPLATE_FILE } from '../../src/monitoring/alertmanager.ts';
import { createContext } from '../../src/monitoring/context.ts';
import { panelQueries } from '../../src/monitoring/dashboards/common.ts';
import { dashboards } from '../../src/monitoring/dashboards/index.ts';
import { SPEC_PANELS } from '../../src/monitoring/dashboards/system.ts';
import { paths } from '../../src/monitoring/generate.ts';
import { type WebServer, webAuthPaths, webConfigFiles } from '../../src/monitoring/webauth.ts';
import { DEMO_CREDENTIALS } from '../../src/service/demo.ts';
import { type Alertmanager, startAlertmanager } from '../support/alertmanager.ts';
import { redisUrl } from '../support/env.ts';
import { type Exporter, startNodeExporter, startRedisExporter } from '../support/exporters.ts';
import { type ManagedProcess, makeTempDir, removeTempDir } from '../support/processes.ts';
import { type Prometheus, startPrometheus } from '../support/prometheus.ts';
import { fastRules as shortenedRules } from '../support/rules.ts';
import { startTestService } from '../support/service.ts';
import { type SlackSink, type SmtpSink, startSlackSink, startSmtpSink } from '../support/sinks.ts';
import { startVictoriaMetrics, type VictoriaMetrics } from '../support/victoria.ts';
import { waitFor } from '../support/wait.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const read = (p: string) => readFile(join(ROOT, p), 'utf8');
const TOKEN = randomBytes(24).toString('hex');
/** Rate windows and `for:` in the generated rules are minutes; the live stack runs them in seconds. */
const WINDOW = '5s';
const FOR = '1s';

type Yaml = Record<string, unknown>;

/** The generated rules shortened; the demo slow route is let back in: it is how this test makes the API slow. */
const fastRules = (path: string) => shortenedRules(path, { window: WINDOW, for: FOR, demoRoutes: true });

let service: ManagedProcess;
let servicePort: number;
let slack: SlackSink;
let smtp: SmtpSink;
let am: Alertmanager;
let prom: Prometheus;
let vm: VictoriaMetrics;
let nodeExporter: Exporter;
let redisExporter: Exporter;
let promStartedAt: number;
/** The secret files (as under /run/secrets) and the folder render.sh wrote the web configs to. */
let secretsDir: string;
let webConfigDir: string;
const webPassword: Record<WebServer, string> = {
  prometheus: randomBytes(24).toString('hex'),
  alertmanager: randomBytes(24).toString('hex'),
};
const webAuth = createContext().config.webAuth;
/** A path under /run/secrets as this test lays the secret files out. */
const secretPath = (path: string) => path.replace(/^\/run\/secrets\//, `${secretsDir}/`);

async function hit(path: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${servicePort}${path}`, {
    headers: { authorization: `Bearer ${DEMO_CREDENTIALS.apiKey}` },
    signal: AbortSignal.timeout(10_000),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Keeps `workers` requests to `path` in flight until `stop()`; returns the number made. */
function drive(path: string, workers: number) {
  let running = true;
  let count = 0;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      await hit(path).catch(() => undefined);
      count++;
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return count;
    },
  };
}

before(async () => {
  [slack, smtp, vm, nodeExporter, redisExporter] = await Promise.all([
    startSlackSink(),
    startSmtpSink(),
    startVictoriaMetrics(),
    startNodeExporter(),
    startRedisExporter(redisUrl()),
  ]);
  // The web configs, as the compose service web-config writes them: render.sh over the secret files.
  secretsDir = await makeTempDir('live-secrets');
  webConfigDir = join(secretsDir, 'web-config');
  for (const server of ['prometheus', 'alertmanager'] as const)
    await writeFile(secretPath(webAuth[server].passwordFile), `${webPassword[server]}\n`, { mode: 0o600 });
  await run('sh', [join(ROOT, webAuthPaths.render)], {
    env: { PATH: process.env.PATH, WEB_CONFIG_SECRETS: secretsDir, WEB_CONFIG_DIR: webConfigDir },
  });
  ({ port: servicePort, process: service } = await startTestService(TOKEN));

  // Alertmanager: the generated routing; Slack and SMTP point at the sinks, secrets in files as in production.
  const amYaml = parse(await read(paths.alertmanager)) as Yaml & {
    global: Yaml;
    route: Yaml;
    templates: string[];
    receivers: { slack_configs?: Yaml[] }[];
  };
  am = await startAlertmanager({
    basicAuth: {
      user: webAuth.alertmanager.user,
      password: webPassword.alertmanager,
      webConfigFile: join(webConfigDir, webConfigFiles.server('alertmanager')),
    },
    templates: {
      [TEMPLATE_FILE]: alertmanagerTemplates(),
      slack_webhook_url: slack.url,
      smtp_password: 'smtp-secret',
    },
    configYaml: ({ dir }) => {
      amYaml.global.smtp_smarthost = smtp.smarthost;
      amYaml.global.smtp_require_tls = false;
      amYaml.global.smtp_auth_password_file = join(dir, 'smtp_password');
      amYaml.templates = [join(dir, '*.tmpl')];
      Object.assign(amYaml.route, { group_wait: '1s', group_interval: '1s', repeat_interval: '1h' });
      for (const r of amYaml.receivers)
        for (const s of r.slack_configs ?? []) s.api_url_file = join(dir, 'slack_webhook_url');
      return stringify(amYaml);
    },
  });

  // Prometheus: the generated config as its entrypoint renders it with remote_write switched on.
  const { stdout: rendered } = await run('sh', [join(ROOT, paths.prometheusEntrypoint), 'render'], {
    env: {
      PATH: process.env.PATH,
      PROMETHEUS_CONFIG_SOURCE: join(ROOT, paths.prometheus),
      PROMETHEUS_REMOTE_WRITE_URL: vm.writeUrl,
    },
  });
  // Every basic_auth password_file (and the other secrets) points at this test's secret files.
  const promYaml = parse(rendered.replaceAll('/run/secrets/', `${secretsDir}/`)) as Yaml & {
    global: Yaml;
    alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
    scrape_configs: (Yaml & {
      job_name: string;
      static_configs?: { targets: string[] }[];
      authorization?: Yaml;
    })[];
    remote_write: unknown[];
  };
  assert.equal(promYaml.remote_write.length, 1);
  const ctx = createContext();
  const targets: Record<string, string> = {
    [ctx.config.jobs.service]: `127.0.0.1:${servicePort}`,
    [ctx.config.jobs.node]: nodeExporter.target,
    [ctx.config.jobs.redis]: redisExporter.target,
  };
  const [recording, alerts] = await Promise.all([
    fastRules(paths.recordingRules),
    fastRules(paths.alertRules),
  ]);
  prom = await startPrometheus({
    basicAuth: {
      user: webAuth.prometheus.user,
      password: webPassword.prometheus,
      webConfigFile: join(webConfigDir, webConfigFiles.server('prometheus')),
    },
    lifecycle: false,
    ruleFiles: { 'recording.yml': recording, 'alerts.yml': alerts },
    files: { metrics_token: TOKEN },
    configYaml: ({ dir, port }) => {
      Object.assign(promYaml.global, {
        scrape_interval: '1s',
        scrape_timeout: '1s',
        evaluation_interval: '1s',
      });
      promYaml.rule_files = [join(dir, 'recording.yml'), join(dir, 'alerts.yml')];
      promYaml.alerting.alertmanagers[0]!.static_configs[0]!.targets = [`127.0.0.1:${am.port}`];
      targets[ctx.config.jobs.prometheus] = `127.0.0.1:${port}`;
      targets[ctx.config.jobs.alertmanager] = `127.0.0.1:${am.port}`;
      promYaml.scrape_configs = promYaml.scrape_configs
        .filter((s) => targets[s.job_name] !== undefined)
        .map((s) => ({
          ...s,
          static_configs: [{ targets: [targets[s.job_name]!] }],
          ...(s.authorization
            ? { authorization: { ...s.authorization, credentials_file: join(dir, 'metrics_token') } }
            : {}),
        }));
      return stringify(promYaml);
    },
  });
  promStartedAt = Date.now() / 1000;
});

after(async () => {
  await Promise.allSettled([
    prom?.stop(),
    am?.stop(),
    secretsDir ? removeTempDir(secretsDir) : undefined,
    vm?.stop(),
    service?.stop(),
    nodeExporter?.stop(),
    redisExporter?.stop(),
  ]);
  await Promise.allSettled([slack?.stop(), smtp?.stop()]);
});

const ALERT = 'AskProAIApiLatencyHigh';
const isFor = (alert: string, status: 'FIRING' | 'RESOLVED') => (text: string) =>
  text.includes(alert) && text.includes(`[${status}`);

describe('the alert chain, live', { timeout: 180_000 }, () => {
  test('every target is scraped: the service with its bearer token, Prometheus and Alertmanager with basic auth', async () => {
    const targets = await prom.waitFor(
      async () => {
        const t = await prom.targets();
        return t.length === 5 && t.every((x) => x.health === 'up') ? t : undefined;
      },
      30_000,
      'all five targets up',
    );
    assert.deepEqual(targets.map((t) => t.labels.job).sort(), [
      'alertmanager',
      'askproai',
      'node',
      'prometheus',
      'redis',
    ]);
  });

  test('slow requests fire the API latency alert: Slack and e-mail name it, then it resolves', async () => {
    const slow = drive('/api/demo/slow?ms=800', 4);
    let firingSlack: Awaited<ReturnType<SlackSink['waitFor']>>;
    let firingMail: Awaited<ReturnType<SmtpSink['waitFor']>>;
    try {
      firingSlack = await slack.waitFor(
        (m) => isFor(ALERT, 'FIRING')(m.body.attachments?.[0]?.title ?? ''),
        60_000,
      );
      firingMail = await smtp.waitFor((m) => isFor(ALERT, 'FIRING')(m.subject), 30_000);
    } finally {
      assert.ok((await slow.stop()) > 0);
    }
    const attachment = firingSlack.body.attachments![0]!;
    // The warning is inhibited by the critical alert of the same name: the message is about the critical one.
    assert.equal(attachment.title, `[FIRING:1] ${ALERT} (critical) on askproai`);
    assert.equal(attachment.color, 'danger');
    assert.match(attachment.text ?? '', /API p95 response time is above its SLA\./);
    assert.match(attachment.text ?? '', /The API p95 response time of askproai is \d+\.\d\d s/);
    assert.match(
      attachment.text ?? '',
      /Runbook: https:\/\/github\.com\/.+\/docs\/runbooks\.md#askproaiapilatencyhigh/,
    );
    assert.equal(firingSlack.body.channel, '#askproai-alerts');
    assert.equal(firingMail.subject, `[FIRING:1] ${ALERT} (critical) on askproai`);
    assert.deepEqual(firingMail.to, ['oncall@askproai.de']);
    assert.equal(firingMail.user, 'alertmanager@askproai.de');
    assert.match(firingMail.text, /Runbook: https:\/\/.+#askproaiapilatencyhigh/);
    assert.match(firingMail.html, /<h3>Firing<\/h3>/);

    // No more slow requests: the quantile has no data in its window and the alert resolves.
    const resolvedSlack = await slack.waitFor(
      (m) => isFor(ALERT, 'RESOLVED')(m.body.attachments?.[0]?.title ?? ''),
      60_000,
    );
    assert.equal(resolvedSlack.body.attachments![0]!.color, 'good');
    assert.match(resolvedSlack.body.attachments![0]!.text ?? '', /\*Resolved\*/);
    const resolvedMail = await smtp.waitFor((m) => isFor(ALERT, 'RESOLVED')(m.subject), 30_000);
    assert.match(resolvedMail.text, /Resolved:/);
  });

  test('every rule group evaluates without errors', async () => {
    const groups = (await prom.rules()) as {
      name: string;
      rules: { name: string; health: string; lastError?: string }[];
    }[];
    assert.ok(groups.length >= 7);
    for (const g of groups) {
      for (const r of g.rules) assert.equal(r.health, 'ok', `${g.name}/${r.name}: ${r.lastError}`);
    }
  });

  test('rare-thing panels show 0, not "no data", before anything happened', async () => {
    const system = dashboards(createContext())['askproai-system.json']!;
    const queries = panelQueries(system).filter((q) =>
      ['Error Rate', 'Queue Sizes', 'Bookings Today'].includes(q.panel),
    );
    assert.equal(queries.length, 3);
    for (const q of queries) {
      // Evaluated at Prometheus' start: no sample of the service exists yet.
      const result = await prom.query(substitute(q.expr), promStartedAt - 1);
      assert.deepEqual(
        result.map((s) => s.value[1]),
        ['0'],
        `${q.panel}: ${JSON.stringify(result)}`,
      );
    }
  });

  test('every panel query of every dashboard runs after traffic; the six spec panels return data', async () => {
    const normal = drive('/api/bookings/42', 2);
    for (let i = 0; i < 5; i++) assert.equal(await hit('/api/fail'), 500);
    // Traffic keeps running until Prometheus has scraped the failures twice, so rate() has two points.
    await prom.waitFor(
      async () =>
        (
          await prom.query(
            'count_over_time(askproai_http_requests_total{endpoint="/api/fail",status="500"}[1m]) >= 2',
          )
        ).length > 0 || undefined,
      15_000,
      'two scrapes of the failed requests',
    );
    await normal.stop();
    // Let the last requests be scraped and the recording rules run.
    await prom.waitFor(
      async () =>
        (await prom.query('job:askproai_http_request_duration_seconds:p95_5m')).length > 0 || undefined,
      15_000,
      'the recorded p95',
    );
    let checked = 0;
    const specSeries = new Map<string, number>(SPEC_PANELS.map((p) => [p, 0]));
    for (const [file, d] of Object.entries(dashboards(createContext()))) {
      for (const q of panelQueries(d)) {
        const result = await prom.query(substitute(q.expr)).catch((error: Error) => {
          throw new Error(`${file} / ${q.panel}: ${error.message}\n${q.expr}`);
        });
        checked++;
        if (file === 'askproai-system.json' && specSeries.has(q.panel)) {
          specSeries.set(q.panel, specSeries.get(q.panel)! + result.length);
        }
      }
    }
    assert.ok(checked > 40, `only ${checked} queries`);
    for (const [panel, n] of specSeries) assert.ok(n > 0, `spec panel "${panel}" returned no data`);
    // The failures were recorded and scraped (a counter born at 5 has no increase, so read it directly).
    const errors = await prom.query('sum(askproai_http_requests_total{endpoint="/api/fail",status="500"})');
    assert.ok(Number(errors[0]?.value[1]) >= 5, JSON.stringify(errors));
  });

  test('remote write: the samples reach VictoriaMetrics', async () => {
    const series = await waitFor(
      async () => {
        await vm.flush();
        const r = await vm.query('sum by (job) (askproai_http_requests_total)');
        return r.length > 0 ? r : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'askproai_http_requests_total in VictoriaMetrics' },
    );
    assert.equal(series[0]!.metric.job, 'askproai');
    assert.ok(Number(series[0]!.value[1]) > 0);
  });

  test('a service that refuses scrapes (wrong token) fires TargetDown to Slack and e-mail', async () => {
    await writeFile(join(prom.dir, 'metrics_token'), 'not-the-token\n');
    const message = await slack.waitFor(
      (m) => isFor('TargetDown', 'FIRING')(m.body.attachments?.[0]?.title ?? ''),
      60_000,
    );
    assert.equal(message.body.attachments![0]!.title, '[FIRING:1] TargetDown (critical) on askproai');
    assert.match(
      message.body.attachments![0]!.text ?? '',
      new RegExp(`askproai target 127\\.0\\.0\\.1:${servicePort} has been down`),
    );
    const mail = await smtp.waitFor((m) => isFor('TargetDown', 'FIRING')(m.subject), 30_000);
    assert.match(mail.subject, /TargetDown \(critical\) on askproai/);
    const [target] = (await prom.targets()).filter((t) => t.labels.job === 'askproai');
    assert.match(target!.lastError, /401/);
  });
});

const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

async function status(url: string, method: string, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(url, { method, headers, signal: AbortSignal.timeout(10_000) });
  await response.arrayBuffer();
  return response.status;
}

interface ComposeHealthcheck {
  test: string[];
}

describe("the stack's own access control, live", { timeout: 120_000 }, () => {
  test('Prometheus and Alertmanager refuse every request without the credentials; no lifecycle API', async () => {
    const wrong = basic('admin', 'not-the-password-0123456789');
    const requests: [base: string, path: string, method: string][] = [
      [prom.url, '/api/v1/query?query=up', 'GET'],
      [prom.url, '/api/v1/targets', 'GET'],
      [prom.url, '/graph', 'GET'],
      [prom.url, '/metrics', 'GET'],
      [prom.url, '/-/ready', 'GET'],
      [prom.url, '/-/reload', 'POST'],
      [prom.url, '/-/quit', 'POST'],
      [prom.url, '/api/v1/admin/tsdb/snapshot', 'POST'],
      [am.url, '/api/v2/alerts', 'GET'],
      [am.url, '/api/v2/silences', 'POST'],
      [am.url, '/metrics', 'GET'],
      [am.url, '/-/reload', 'POST'],
    ];
    for (const [base, path, method] of requests) {
      for (const headers of [{}, wrong])
        assert.equal(await status(`${base}${path}`, method, headers), 401, `${method} ${path}`);
    }
    // With the credentials the lifecycle and admin endpoints are still refused: they are off.
    for (const path of ['/-/reload', '/-/quit'])
      assert.equal(await status(`${prom.url}${path}`, 'POST', prom.authHeaders), 403, path);
    const snapshot = await status(`${prom.url}/api/v1/admin/tsdb/snapshot`, 'POST', prom.authHeaders);
    assert.ok(snapshot >= 400 && snapshot !== 401, `admin API answered ${snapshot}`);
    assert.equal(await status(`${prom.url}/-/ready`, 'GET', prom.authHeaders), 200);
    // The web configs hold the bcrypt hash, never the password, and promtool accepts them.
    for (const server of ['prometheus', 'alertmanager'] as const) {
      const file = join(webConfigDir, webConfigFiles.server(server));
      const text = await readFile(file, 'utf8');
      assert.match(text, new RegExp(`${webAuth[server].user}: "\\$2[aby]\\$${webAuth.bcryptCost}\\$`));
      assert.ok(!text.includes(webPassword[server]));
      await run('promtool', ['check', 'web-config', file]);
    }
  });

  test("Prometheus' alerts reach Alertmanager through its basic auth", async () => {
    // Alertmanager accepts alerts only with the credentials: an alert Prometheus fires reached it.
    const delivered = await waitFor(
      async () => {
        const firing = new Set(
          (await prom.alerts()).filter((a) => a.state === 'firing').map((a) => a.labels.alertname),
        );
        return (await am.alerts()).find((a) => firing.has(a.labels.alertname));
      },
      { timeoutMs: 30_000, what: 'a firing alert of Prometheus in Alertmanager' },
    );
    assert.ok(delivered.labels.alertname);
    // Prometheus counts no failed notification.
    const [errors] = await prom.query('sum(prometheus_notifications_errors_total)');
    assert.equal(errors?.value[1], '0');
  });

  test("Grafana's datasources carry the user and a reference to the secret file, never a password", async () => {
    const file = await read(paths.grafanaDatasources);
    const { datasources } = parse(file) as {
      datasources: {
        name: string;
        url: string;
        basicAuth?: boolean;
        basicAuthUser?: string;
        secureJsonData?: { basicAuthPassword?: string };
      }[];
    };
    const compose = parse(await read('docker-compose.observability.yml')) as {
      services: Record<string, { secrets?: string[] }>;
    };
    const probe: Record<WebServer, string> = {
      prometheus: `${prom.url}/api/v1/query?query=up`,
      alertmanager: `${am.url}/api/v2/status`,
    };
    for (const [name, server] of [
      ['Prometheus', 'prometheus'],
      ['Alertmanager', 'alertmanager'],
    ] as const) {
      const ds = datasources.find((d) => d.name === name)!;
      assert.equal(ds.basicAuth, true, name);
      assert.equal(ds.basicAuthUser, webAuth[server].user);
      const ref = ds.secureJsonData?.basicAuthPassword ?? '';
      assert.equal(ref, `$__file{${webAuth[server].passwordFile}}`);
      const secret = webAuth[server].passwordFile.replace('/run/secrets/', '');
      assert.ok(compose.services.grafana!.secrets?.includes(secret), `grafana lacks secret ${secret}`);
      // What Grafana sends once it has read the file (trimmed, as $__file{} does) gets in.
      const password = (await readFile(secretPath(webAuth[server].passwordFile), 'utf8')).trim();
      assert.equal(await status(probe[server], 'GET', basic(ds.basicAuthUser!, password)), 200, name);
      assert.ok(!file.includes(webPassword[server]));
    }
  });

  test('the compose health checks pass against the servers, as the images run them', async () => {
    const compose = parse(await read('docker-compose.observability.yml')) as {
      services: Record<string, { healthcheck: ComposeHealthcheck }>;
    };
    // Prometheus: a shell command of the busybox image (wget, grep); here busybox's own applets.
    const [kind, command] = compose.services.prometheus!.healthcheck.test;
    assert.equal(kind, 'CMD-SHELL');
    const bin = join(secretsDir, 'bin');
    await run('mkdir', ['-p', bin]);
    for (const applet of ['wget', 'grep']) await run('ln', ['-sf', '/usr/bin/busybox', join(bin, applet)]);
    const promCheck = command!.replace('localhost:9090', `127.0.0.1:${prom.port}`);
    await run('/usr/bin/busybox', ['sh', '-c', promCheck], { env: { PATH: bin } });
    // ... and it fails against a server that answers without credentials (VictoriaMetrics here).
    await assert.rejects(
      run(
        '/usr/bin/busybox',
        ['sh', '-c', command!.replace('http://localhost:9090/-/ready', `${vm.url}/health`)],
        {
          env: { PATH: bin },
        },
      ),
    );
    // Alertmanager: amtool with the client configuration render.sh wrote (it names the secret file).
    const [, ...args] = compose.services.alertmanager!.healthcheck.test;
    const local = args.map((a) =>
      a
        .replace('/bin/amtool', 'amtool')
        .replace(webAuth.dir, webConfigDir)
        .replace('localhost:9093', `127.0.0.1:${am.port}`),
    );
    await run(local[0]!, local.slice(1));
    const client = await readFile(join(webConfigDir, webConfigFiles.client('alertmanager')), 'utf8');
    assert.match(client, new RegExp(`password_file: "${secretsDir}/alertmanager_web_password"`));
  });
});

/** Grafana's variables as the live test fills them in. */
function substitute(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '10s')
    .replaceAll('$__interval', '1m')
    .replaceAll('$__range', '5m')
    .replaceAll('$instance', '.*')
    .replaceAll('$tenant', '.*');
}
