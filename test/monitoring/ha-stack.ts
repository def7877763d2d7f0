/**
 * The generated HA layout on loopback, for the live HA and remote-write tests: the service as real
 * processes (discovered through file_sd), Prometheus replicas running `haPrometheusConfig()` and the
 * generated rules, Alertmanagers clustered over gossip running `alertmanagerConfig()`, VictoriaMetrics
 * (restartable on the same port and data path), and Slack/SMTP sinks. Every test-time change (seconds
 * instead of minutes, loopback addresses, secret files in temp dirs) goes through the monitoring config
 * or the layout, never by editing generated files. Prometheus and Alertmanager run behind basic auth as in
 * the compose stacks; the generated clients read the passwords from secret files (in a temp folder here).
 * The replicas keep the lifecycle API: the stack reloads them once every port is known.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import {
  alertmanagerConfig,
  alertmanagerTemplates,
  TEMPLATE_FILE,
} from '../../src/monitoring/alertmanager.ts';
import { alertGroups } from '../../src/monitoring/alerts/index.ts';
import { type MonitoringConfig, monitoringConfig } from '../../src/monitoring/config.ts';
import { type Context, createContext } from '../../src/monitoring/context.ts';
import {
  type HaLayout,
  haPaths,
  haPrometheusConfig,
  serviceTargets,
  victoriaArgs,
} from '../../src/monitoring/ha.ts';
import { recordingRules } from '../../src/monitoring/rules/recording.ts';
import { type Alertmanager, startAlertmanager } from '../support/alertmanager.ts';
import { fetchJson, fetchText, promQueryClient } from '../support/http.ts';
import { freePort } from '../support/ports.ts';
import { type ManagedProcess, makeTempDir, removeTempDir, spawnProcess } from '../support/processes.ts';
import { type Prometheus, startPrometheus } from '../support/prometheus.ts';
import { startTestService } from '../support/service.ts';
import { type SlackSink, type SmtpSink, startSlackSink, startSmtpSink } from '../support/sinks.ts';

const ROOT = resolve(import.meta.dirname, '../..');
export const TOKEN = randomBytes(24).toString('hex');
/** The web passwords of the stack (as in observability/secrets/*_web_password). */
export const WEB_PASSWORDS = {
  prometheus: randomBytes(24).toString('hex'),
  alertmanager: randomBytes(24).toString('hex'),
} as const;
/** The long-term store's password (as in observability/secrets/victoriametrics_password). */
export const VM_PASSWORD = randomBytes(24).toString('hex');
const VM_AUTH_HEADERS = {
  authorization: `Basic ${Buffer.from(`${monitoringConfig.remoteWrite.basicAuth.user}:${VM_PASSWORD}`).toString('base64')}`,
};

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** The monitoring config at test speed: 1 s scrapes and evaluations, short windows and `for:`. */
export function testConfig(overrides: DeepPartial<MonitoringConfig> = {}): MonitoringConfig {
  const c = structuredClone(monitoringConfig);
  c.intervals = { scrape: '1s', scrapeTimeout: '1s', evaluation: '1s' };
  c.windows = { rate: '10s', reload: '10s' };
  c.for = Object.fromEntries(Object.keys(c.for).map((k) => [k, '1s'])) as MonitoringConfig['for'];
  c.alertmanager = { ...c.alertmanager, groupWait: '1s', groupInterval: '1s', repeatInterval: '1h' };
  c.ha = { ...c.ha, peerTimeout: '3s' };
  // Exporters are not part of these tests: nothing answers there (their TargetDown is a separate group).
  c.targets = { ...c.targets, node: '127.0.0.1:9', redis: '127.0.0.1:9' };
  const merge = (target: Record<string, unknown>, source: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(source)) {
      if (v !== null && typeof v === 'object' && !Array.isArray(v))
        merge(target[k] as Record<string, unknown>, v as Record<string, unknown>);
      else target[k] = v;
    }
  };
  merge(c as unknown as Record<string, unknown>, overrides as Record<string, unknown>);
  return c;
}

/** One instance of the service (`askproai serve`) on a free loopback port. */
export interface ServiceInstance {
  port: number;
  target: string;
  process: ManagedProcess;
}

export async function startService(): Promise<ServiceInstance> {
  const { port, process: proc } = await startTestService(TOKEN, 'askproai serve (HA)');
  return { port, target: `127.0.0.1:${port}`, process: proc };
}

/**
 * Single-node VictoriaMetrics that can be stopped and started again on the same port and data path, run
 * as the HA compose file runs it: the generated auth.sh with the generated flags (loopback address and
 * a temp data path added), the password in a secret file.
 */
export interface Victoria {
  url: string;
  port: number;
  dataDir: string;
  writeUrl: string;
  /** The secret file holding VM_PASSWORD. */
  passwordFile: string;
  /** Basic auth with VM_PASSWORD. */
  headers: Record<string, string>;
  /** The running process (null when stopped). */
  pid(): number | null;
  running(): boolean;
  query: ReturnType<typeof promQueryClient>['query'];
  /** Raw samples of the series matching `selector` between two times (unix seconds), via /api/v1/export. */
  exportSamples(
    selector: string,
    start: number,
    end: number,
  ): Promise<{ metric: Record<string, string>; timestamps: number[] }[]>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stop and remove the data. */
  destroy(): Promise<void>;
}

export async function startVictoria(config: MonitoringConfig = monitoringConfig): Promise<Victoria> {
  const dir = await makeTempDir('ha-victoria');
  const passwordFile = join(dir, basename(config.remoteWrite.basicAuth.passwordFile));
  await writeFile(passwordFile, VM_PASSWORD, { mode: 0o600 });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // The compose defaults of ${VAR:-default}; listen address and data path overridden (the last flag wins).
  const args = victoriaArgs(createContext(config)).map((a) => a.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1'));
  let proc: ManagedProcess | undefined;
  const start = async () => {
    proc = await spawnProcess(
      'sh',
      [
        join(ROOT, haPaths.vmAuth),
        'victoria-metrics',
        ...args,
        `-httpListenAddr=127.0.0.1:${port}`,
        `-storageDataPath=${join(dir, 'data')}`,
        '-search.latencyOffset=1s',
        '-loggerLevel=WARN',
      ],
      {
        name: 'victoria-metrics',
        cwd: dir,
        env: { VM_AUTH_PASSWORD_FILE: passwordFile },
        readyUrl: `${url}/health`,
        timeoutMs: 30_000,
      },
    );
  };
  await start();
  const api = promQueryClient(url, VM_AUTH_HEADERS);
  return {
    url,
    port,
    dataDir: join(dir, 'data'),
    writeUrl: `${url}/api/v1/write`,
    passwordFile,
    headers: VM_AUTH_HEADERS,
    pid: () => (proc !== undefined && proc.exitStatus() === null ? proc.pid : null),
    running: () => proc !== undefined && proc.exitStatus() === null,
    query: (q, t) => api.query(q, t),
    async exportSamples(selector, startS, endS) {
      await fetchText(`${url}/internal/force_flush`, { headers: VM_AUTH_HEADERS });
      const body = new URLSearchParams({ 'match[]': selector, start: String(startS), end: String(endS) });
      const text = await fetchText(`${url}/api/v1/export`, {
        method: 'POST',
        body,
        headers: VM_AUTH_HEADERS,
      });
      return text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as { metric: Record<string, string>; timestamps: number[] });
    },
    async stop() {
      await proc?.stop();
    },
    start,
    async destroy() {
      await proc?.stop();
      await removeTempDir(dir);
    },
  };
}

export interface HaStack {
  ctx: Context;
  services: ServiceInstance[];
  ams: Alertmanager[];
  proms: Prometheus[];
  slack: SlackSink;
  smtp: SmtpSink;
  layout: HaLayout;
  /** A generated /run/secrets/ path as this stack lays the secret files out. */
  secretPath(path: string): string;
  stop(): Promise<void>;
}

/**
 * Starts `services` instances, `alertmanagers` clustered Alertmanagers and one Prometheus per replica
 * of the config, each running the HA configuration generated for this layout.
 */
export async function startHaStack(opts: {
  config: MonitoringConfig;
  services: number;
  remoteWriteUrl: string;
}): Promise<HaStack> {
  const ctx = createContext(opts.config);
  const [slack, smtp, ...services] = await Promise.all([
    startSlackSink(),
    startSmtpSink(),
    ...Array.from({ length: opts.services }, () => startService()),
  ]);
  const s = services as ServiceInstance[];
  const webAuth = opts.config.webAuth;
  const secretsDir = await makeTempDir('ha-secrets');
  for (const server of ['prometheus', 'alertmanager'] as const)
    await writeFile(join(secretsDir, basename(webAuth[server].passwordFile)), WEB_PASSWORDS[server]);
  const vmPasswordFile = opts.config.remoteWrite.basicAuth.passwordFile;
  await writeFile(join(secretsDir, basename(vmPasswordFile)), VM_PASSWORD);
  /** The generated YAML with its /run/secrets/ passwords read from the temp folder. */
  const localSecrets = (yaml: string) =>
    yaml
      .replaceAll(vmPasswordFile, join(secretsDir, basename(vmPasswordFile)))
      .replaceAll(
        webAuth.prometheus.passwordFile,
        join(secretsDir, basename(webAuth.prometheus.passwordFile)),
      )
      .replaceAll(
        webAuth.alertmanager.passwordFile,
        join(secretsDir, basename(webAuth.alertmanager.passwordFile)),
      );

  // Alertmanagers: the generated routing; receivers point at the sinks, secrets in files as in production.
  const amCount = opts.config.ha.alertmanagers.length;
  const gossip = await Promise.all(Array.from({ length: amCount }, () => freePort()));
  const ams = await Promise.all(
    gossip.map((own) =>
      startAlertmanager({
        basicAuth: { user: webAuth.alertmanager.user, password: WEB_PASSWORDS.alertmanager },
        templates: {
          [TEMPLATE_FILE]: alertmanagerTemplates(),
          slack_webhook_url: slack.url,
          smtp_password: 'smtp-secret',
        },
        configYaml: ({ dir }) => {
          const c = structuredClone(opts.config);
          c.alertmanager = {
            ...c.alertmanager,
            smarthost: smtp.smarthost,
            slackApiUrlFile: join(dir, 'slack_webhook_url'),
            smtpPasswordFile: join(dir, 'smtp_password'),
          };
          const am = alertmanagerConfig(createContext(c)) as {
            global: Record<string, unknown>;
            templates: string[];
          };
          am.global.smtp_require_tls = false; // the local sink speaks plain SMTP
          am.templates = [join(dir, '*.tmpl')];
          return stringify(am);
        },
        extraArgs: [
          `--cluster.listen-address=127.0.0.1:${own}`,
          ...gossip.filter((p) => p !== own).map((p) => `--cluster.peer=127.0.0.1:${p}`),
          `--cluster.peer-timeout=${opts.config.ha.peerTimeout}`,
          '--cluster.gossip-interval=50ms',
          '--cluster.pushpull-interval=2s',
        ],
      }),
    ),
  );

  // Prometheus replicas: the generated HA configuration and rules for this layout.
  const rules = stringify({
    groups: [{ name: 'askproai.recording', rules: recordingRules(ctx) }, ...alertGroups(ctx)],
  });
  const sdDir = await makeTempDir('ha-sd');
  const sdFile = join(sdDir, 'askproai.yml');
  await mkdir(sdDir, { recursive: true });
  await writeFile(
    sdFile,
    stringify(
      serviceTargets(
        ctx,
        s.map((x) => x.target),
      ),
    ),
  );
  const layout: HaLayout = {
    alertmanagers: ams.map((a) => `127.0.0.1:${a.port}`),
    prometheuses: [],
    serviceTargetsFile: sdFile,
    remoteWriteUrl: opts.remoteWriteUrl,
  };
  const configFor = (replica: string, dir: string, l: HaLayout) => {
    const c = haPrometheusConfig(ctx, replica, l) as Record<string, unknown> & {
      scrape_configs: { authorization?: Record<string, unknown> }[];
    };
    c.rule_files = [join(dir, 'rules.yml')];
    for (const job of c.scrape_configs)
      if (job.authorization)
        job.authorization = { ...job.authorization, credentials_file: join(dir, 'metrics_token') };
    return localSecrets(stringify(c));
  };
  const replicas = Object.values(opts.config.ha.prometheusReplicas);
  const proms = await Promise.all(
    replicas.map((replica) =>
      startPrometheus({
        basicAuth: { user: webAuth.prometheus.user, password: WEB_PASSWORDS.prometheus },
        ruleFiles: { 'rules.yml': rules },
        files: { metrics_token: TOKEN },
        configYaml: ({ dir, port }) =>
          configFor(replica, dir, { ...layout, prometheuses: [`127.0.0.1:${port}`] }),
      }),
    ),
  );
  // Now that every port is known, every replica scrapes every replica.
  layout.prometheuses = proms.map((p) => `127.0.0.1:${p.port}`);
  await Promise.all(
    proms.map((p, i) =>
      p.reload({
        configYaml: configFor(replicas[i]!, p.dir, layout),
        ruleFiles: { 'rules.yml': rules },
        files: { metrics_token: TOKEN },
      }),
    ),
  );
  return {
    ctx,
    services: s,
    ams,
    proms,
    slack,
    smtp,
    layout,
    secretPath: (path) => join(secretsDir, basename(path)),
    async stop() {
      await Promise.allSettled([...proms.map((p) => p.stop()), ...ams.map((a) => a.stop())]);
      await Promise.allSettled([
        ...s.map((x) => x.process.stop()),
        slack.stop(),
        smtp.stop(),
        removeTempDir(sdDir),
        removeTempDir(secretsDir),
      ]);
    },
  };
}

/** Alertmanager's cluster view: its own name and its peers. */
export async function clusterStatus(
  am: Alertmanager,
): Promise<{ name: string; status: string; peers: { name: string }[] }> {
  const s = await fetchJson<{ cluster: { name: string; status: string; peers: { name: string }[] } }>(
    `${am.url}/api/v2/status`,
    { headers: am.authHeaders },
  );
  return s.cluster;
}
