/**
 * The highly available layout: two Prometheus replicas (distinct `replica` external labels, the same
 * targets, the same rules) sending to two clustered Alertmanagers, the service's instances found
 * through file-based service discovery, and remote_write from both replicas into VictoriaMetrics,
 * which deduplicates the pair. Built on the single-host configuration (prometheus.ts), so whatever
 * that file gains (auth, jobs) the replicas gain too. docs/scaling.md explains the layout.
 */
import { catalog } from '../metrics/catalog.ts';
import type { MetricDef } from '../metrics/core/types.ts';
import { type CapacityPlan, capacityPlan, durationSeconds, thousands } from './capacity.ts';
import type { Context } from './context.ts';
import { entrypointScript, prometheusConfig, RULES_DIR } from './prometheus.ts';
import { failFunction, readPasswordFunction } from './shell.ts';
import { refusingHealthcheck, webConfigFlag, webHealthcheck, webSecretName } from './webauth.ts';

/** Where the replicas' files are mounted inside the Prometheus containers. */
export const HA_DIR = '/etc/prometheus/ha';
/** remote_write queue name: the `remote_name` label of the prometheus_remote_storage_* metrics. */
export const REMOTE_NAME = 'longterm';

/** What differs between the compose stack and a test on loopback: addresses and file locations. */
export interface HaLayout {
  /** host:port of every Alertmanager of the cluster (each replica alerts to all of them). */
  alertmanagers: string[];
  /** host:port of every Prometheus replica (each replica scrapes all of them, so either sees the other fail). */
  prometheuses: string[];
  /** The file_sd file listing the service instances. */
  serviceTargetsFile: string;
  /** remote_write URL of the long-term store. */
  remoteWriteUrl: string;
  /** The rule files the replicas load (default: the single-host configuration's `rule_files`). */
  ruleFiles?: string[];
}

/**
 * Which generated rule files the replicas evaluate and which vmalert evaluates against the long-term
 * store: a file reading a longer window than the replicas keep (`remoteWrite.localRetention`), such as
 * 30-day SLO windows, goes to vmalert, so the replicas' retention need not grow with it.
 */
export interface RuleSplit {
  /** Rule file names (inside the rules folder) the replicas load. */
  replicas: string[];
  /** Rule file names vmalert loads. */
  vmalert: string[];
  /** Every expression of the replicas' files. */
  replicaExprs: string[];
}

export function splitRuleFiles(ctx: Context, files: Record<string, readonly string[]>): RuleSplit {
  const keep = durationSeconds(ctx.config.remoteWrite.localRetention);
  const split: RuleSplit = { replicas: [], vmalert: [], replicaExprs: [] };
  for (const [file, exprs] of Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (longestRuleWindow(exprs) > keep) split.vmalert.push(file);
    else {
      split.replicas.push(file);
      split.replicaExprs.push(...exprs);
    }
  }
  return split;
}

/** The compose layout, from the monitoring config. */
export function composeLayout(ctx: Context, split?: RuleSplit): HaLayout {
  const { ha, remoteWrite } = ctx.config;
  return {
    ...(split ? { ruleFiles: split.replicas.map((f) => `${RULES_DIR}/${f}`) } : {}),
    alertmanagers: ha.alertmanagers.map((name) => `${name}:${ha.alertmanagerPort}`),
    prometheuses: Object.keys(ha.prometheusReplicas).map((name) => `${name}:9090`),
    serviceTargetsFile: ha.serviceTargetsFile,
    remoteWriteUrl: remoteWrite.url,
  };
}

/**
 * The service instances Prometheus discovers: one target per instance of the capacity plan, on
 * consecutive ports after the single-host target (`PORT=8080`, `8081`, ... on the Docker host).
 * Prometheus rereads the file when it changes, without a restart.
 */
export function serviceTargets(ctx: Context, hostPorts?: string[]): { targets: string[] }[] {
  const [first] = ctx.config.targets.service;
  if (first === undefined) throw new Error('targets.service: expected at least one service target');
  const [host, port] = first.split(':');
  const targets =
    hostPorts ??
    Array.from({ length: ctx.config.capacity.instances }, (_, i) => `${host}:${Number(port) + i}`);
  return [{ targets }];
}

/** Remote-write queue settings derived from the capacity plan's worst case (per replica). */
export interface QueueSizing {
  samplesPerSecond: number;
  queue: {
    capacity: number;
    min_shards: number;
    max_shards: number;
    max_samples_per_send: number;
    batch_send_deadline: string;
    min_backoff: string;
    max_backoff: string;
  };
}

export function queueSizing(ctx: Context, plan: CapacityPlan = capacityPlan(ctx)): QueueSizing {
  const rw = ctx.config.remoteWrite;
  // Every replica scrapes every series, so each one sends the whole plan.
  const samplesPerSecond = plan.total.max / plan.scrapeSeconds;
  // One shard sends one batch per request: samplesPerSend / requestSeconds samples a second.
  const perShard = rw.samplesPerSend / rw.requestSeconds;
  const steady = Math.max(1, Math.ceil(samplesPerSecond / perShard));
  return {
    samplesPerSecond,
    queue: {
      // Buffered per shard; 3 batches keep a shard busy while the next one fills.
      capacity: rw.samplesPerSend * 3,
      min_shards: steady,
      // After an outage the backlog must drain catchUpFactor times faster than samples arrive.
      max_shards: Math.max(steady * 2, Math.ceil((samplesPerSecond * rw.catchUpFactor) / perShard)),
      max_samples_per_send: rw.samplesPerSend,
      batch_send_deadline: '5s',
      min_backoff: '30ms',
      max_backoff: rw.maxBackoff,
    },
  };
}

/** Metric-name regex of the series kept out of long-term storage (names built from the catalog). */
export function droppedSeries(ctx: Context): string {
  const rw = ctx.config.remoteWrite;
  const ours = rw.dropMetrics.map((key) => {
    const def: MetricDef = catalog[key];
    return `${ctx.n.of(def)}${def.type === 'histogram' ? '(_bucket|_sum|_count)?' : ''}`;
  });
  return [...ours, rw.dropOther].join('|');
}

/** One remote_write entry: queue sized from the plan, debug series and (optionally) the replica label dropped. */
export function remoteWriteEntry(ctx: Context, url: string): Record<string, unknown> {
  const rw = ctx.config.remoteWrite;
  const relabel: Record<string, unknown>[] = [
    { source_labels: ['__name__'], regex: droppedSeries(ctx), action: 'drop' },
  ];
  if (rw.dropReplicaLabel) relabel.push({ regex: ctx.config.ha.replicaLabel, action: 'labeldrop' });
  return {
    name: REMOTE_NAME,
    url,
    remote_timeout: '30s',
    // The store's basic auth, the password read from the secret file on every request.
    basic_auth: { username: rw.basicAuth.user, password_file: rw.basicAuth.passwordFile },
    queue_config: queueSizing(ctx).queue,
    ...(rw.orgId === '' ? {} : { headers: { 'X-Scope-OrgID': rw.orgId } }),
    write_relabel_configs: relabel,
  };
}

type ScrapeConfig = Record<string, unknown> & { job_name: string };
type AlertmanagerEntry = Record<string, unknown> & { static_configs?: { targets: string[] }[] };

/** prometheus.yml of one replica. `remote_write` is the last key (the entrypoint appends a header to it). */
export function haPrometheusConfig(
  ctx: Context,
  replica: string,
  layout: HaLayout = composeLayout(ctx),
): Record<string, unknown> {
  const { config } = ctx;
  const base = prometheusConfig(ctx) as {
    global: Record<string, unknown> & { external_labels?: Record<string, string> };
    alerting: { alertmanagers: AlertmanagerEntry[] };
    scrape_configs: ScrapeConfig[];
  } & Record<string, unknown>;
  const withTargets = (job: ScrapeConfig, targets: string[]): ScrapeConfig => {
    const { static_configs: _, ...rest } = job;
    return { ...rest, static_configs: [{ targets: [...targets] }] };
  };
  const scrapeConfigs = base.scrape_configs.map((job): ScrapeConfig => {
    if (job.job_name === config.jobs.service) {
      // Only the file: the instances it lists are the ones the capacity plan counts.
      const rest = Object.fromEntries(
        Object.entries(job).filter(([key]) => key !== 'static_configs' && !key.endsWith('_sd_configs')),
      ) as ScrapeConfig;
      return { ...rest, file_sd_configs: [{ files: [layout.serviceTargetsFile] }] };
    }
    if (job.job_name === config.jobs.prometheus) return withTargets(job, layout.prometheuses);
    if (job.job_name === config.jobs.alertmanager) return withTargets(job, layout.alertmanagers);
    return job;
  });
  const [amEntry, ...otherAms] = base.alerting.alertmanagers;
  if (amEntry === undefined || otherAms.length > 0)
    throw new Error('the single-host configuration should name exactly one Alertmanager entry');
  const { static_configs: _, ...amRest } = amEntry;
  const { remote_write: __, ...rest } = base;
  return {
    ...rest,
    global: {
      ...base.global,
      external_labels: { ...base.global.external_labels, [config.ha.replicaLabel]: replica },
    },
    alerting: {
      // Both replicas send the same alerts; without the replica label they are identical and
      // the Alertmanager cluster notifies once.
      alert_relabel_configs: [{ regex: config.ha.replicaLabel, action: 'labeldrop' }],
      alertmanagers: [{ ...amRest, static_configs: [{ targets: [...layout.alertmanagers] }] }],
    },
    ...(layout.ruleFiles ? { rule_files: [...layout.ruleFiles] } : {}),
    scrape_configs: scrapeConfigs,
    remote_write: [remoteWriteEntry(ctx, layout.remoteWriteUrl)],
  };
}

/** The longest range (`[30d]`, `[1h:5m]`) any rule expression reads, in seconds. */
export function longestRuleWindow(exprs: readonly string[]): number {
  let longest = 0;
  for (const expr of exprs) {
    for (const [, range] of expr.matchAll(
      /\[(\d+(?:ms|s|m|h|d|w|y)(?:\d+(?:ms|s|m|h|d|w|y))*)(?::[^\]]*)?\]/g,
    ))
      longest = Math.max(longest, durationSeconds(range!));
  }
  return longest;
}

/**
 * The replicas' local retention: the configured one, or longer when a rule reads a longer window
 * (a rule must never evaluate over less data than its window).
 */
export function localRetention(ctx: Context, ruleExprs: readonly string[]): string {
  const configured = ctx.config.remoteWrite.localRetention;
  const needed = longestRuleWindow(ruleExprs);
  if (needed <= durationSeconds(configured)) return configured;
  return `${Math.ceil(needed / 86_400) + 1}d`;
}

/** The replicas' entrypoint: adds the optional `X-Scope-OrgID` header from PROMETHEUS_REMOTE_WRITE_ORG_ID. */
export function haEntrypoint(): string {
  return entrypointScript({
    comment: [
      "Renders a replica's prometheus.yml, adding the X-Scope-OrgID header of a multi-tenant store",
      '(Mimir, Cortex) when PROMETHEUS_REMOTE_WRITE_ORG_ID is set, then starts Prometheus.',
      `  PROMETHEUS_CONFIG_SOURCE          the replica's file, e.g. ${HA_DIR}/prometheus-a.yml`,
      '  PROMETHEUS_REMOTE_WRITE_ORG_ID    tenant id sent with every remote-write request',
    ],
    source: { required: 'set PROMETHEUS_CONFIG_SOURCE to the configuration of this replica' },
    render: `  org=\${PROMETHEUS_REMOTE_WRITE_ORG_ID:-}
  [ -n "$org" ] || return 0
  case $org in
  *[!A-Za-z0-9_.-]*)
    echo "PROMETHEUS_REMOTE_WRITE_ORG_ID may hold only letters, digits, '_', '.' and '-'" >&2
    return 1
    ;;
  esac
  if grep -q 'X-Scope-OrgID' "$source_config"; then
    echo "the configuration already sets X-Scope-OrgID (remoteWrite.orgId); unset PROMETHEUS_REMOTE_WRITE_ORG_ID" >&2
    return 1
  fi
  # remote_write is the file's last key and holds one entry: the header joins that entry.
  printf '    headers:\\n      X-Scope-OrgID: "%s"\\n' "$org"
`,
  });
}

/** Grafana datasource for the long-term store (long-range dashboards; not the default). */
export function victoriaDatasource(ctx: Context): Record<string, unknown> {
  const { user, passwordFile } = ctx.config.remoteWrite.basicAuth;
  return {
    apiVersion: 1,
    datasources: [
      {
        name: 'VictoriaMetrics',
        uid: 'victoriametrics',
        type: 'prometheus',
        access: 'proxy',
        url: ctx.config.remoteWrite.url.replace(/\/api\/v1\/write$/, ''),
        isDefault: false,
        editable: false,
        // The password read by Grafana from the secret file at start: the file holds none.
        basicAuth: true,
        basicAuthUser: user,
        secureJsonData: { basicAuthPassword: `$__file{${passwordFile}}` },
        jsonData: { timeInterval: ctx.config.intervals.scrape, httpMethod: 'POST' },
      },
    ],
  };
}

const VM_VERSION = 'v1.79.5';

/** Where auth.sh is mounted in the VictoriaMetrics and vmalert containers. */
export const VM_AUTH_DIR = '/etc/victoriametrics';

/**
 * Flags of VictoriaMetrics 1.79 and vmalert 1.79 holding the key (`?authKey=`) of an admin endpoint:
 * deleting series, snapshots, forced merges, resetting the query cache, the promscrape config, their own
 * /metrics, /flags and pprof. Checked after basic auth; unset, /metrics, /flags and pprof answer anyone.
 */
export const VM_ADMIN_KEY_FLAGS = [
  'deleteAuthKey',
  'snapshotAuthKey',
  'forceMergeAuthKey',
  'search.resetCacheAuthKey',
  'configAuthKey',
  'metricsAuthKey',
  'flagsAuthKey',
  'pprofAuthKey',
] as const;

/** The secret name (under /run/secrets) of the store's password. */
export function victoriaSecretName(ctx: Context): string {
  return ctx.config.remoteWrite.basicAuth.passwordFile.slice('/run/secrets/'.length);
}

/**
 * auth.sh: the entrypoint of VictoriaMetrics and vmalert (program and flags are its arguments). Neither
 * 1.79 binary reads its `-httpAuth.password` from a file, and a flag on the command line is readable by
 * every local process (/proc/PID/cmdline); the environment is readable only by the process' user and
 * root. So the script reads the secret file into `httpAuth_password` and starts the program with
 * `-envflag.enable`, which reads it from there, and `-httpAuth.username`: without both the program would
 * answer everyone, so they are the script's, not the caller's. Every admin key gets one random value per
 * start that no client is given: those endpoints stay closed even to the holders of the password.
 */
export function vmAuthScript(ctx: Context): string {
  const { user, passwordFile } = ctx.config.remoteWrite.basicAuth;
  return `#!/bin/sh
# Starts VictoriaMetrics or vmalert (the program and its flags are the arguments) with basic auth on its
# HTTP API (user ${user}). The password goes from the secret file into the environment, where
# -envflag.enable makes the program read it (httpAuth_password): never onto the command line, which every
# local process can read. The admin endpoints (series deletion, snapshots, forced merges, cache reset,
# /config, /metrics, /flags, pprof) also want a key: a random one per start, given to no client.
#   VM_AUTH_PASSWORD_FILE  the password (default ${passwordFile})
set -eu

file=\${VM_AUTH_PASSWORD_FILE:-${passwordFile}}

${failFunction('victoriametrics-auth')}

${readPasswordFunction()}

[ $# -ge 1 ] || fail "usage: auth.sh <program> [flags]"
for arg in "$@"; do
  case $arg in
  -httpAuth.* | --httpAuth.* | -envflag.* | --envflag.*)
    fail "basic auth and -envflag.* are set by this script; the password comes only from $file"
    ;;
  esac
done
# The web passwords' rules, without their upper limit: nothing here hashes it with bcrypt.
read_password "$file" "the password"
key=$(od -An -vtx1 -N24 /dev/urandom | tr -d ' \\n')
[ \${#key} -eq 48 ] || fail "could not read a key from /dev/urandom"

export httpAuth_password="$password"
${VM_ADMIN_KEY_FLAGS.map((f) => `export ${f.replaceAll('.', '_')}="$key"`).join('\n')}
exec "$@" -envflag.enable -httpAuth.username=${user}
`;
}

/** VictoriaMetrics' flags in the compose stack (auth.sh adds the auth ones). */
export function victoriaArgs(ctx: Context): string[] {
  const { remoteWrite, intervals } = ctx.config;
  return [
    '-storageDataPath=/storage',
    `-retentionPeriod=\${VICTORIA_RETENTION_PERIOD:-${remoteWrite.longTermRetention}}`,
    // The replicas write the same series (replica label dropped): keep one sample per scrape interval.
    `-dedup.minScrapeInterval=${intervals.scrape}`,
    '-httpListenAddr=:8428',
  ];
}

/** vmalert's flags (auth.sh adds its own basic auth): rule files, the store with its credentials, the Alertmanagers. */
export function vmalertArgs(
  ctx: Context,
  opts: { rules: string[]; storeUrl: string; alertmanagerUrls: string[]; listen: string },
): string[] {
  const store = ctx.config.remoteWrite.basicAuth;
  const am = ctx.config.webAuth.alertmanager;
  return [
    ...opts.rules.map((f) => `-rule=${f}`),
    // Queries, recorded series and restored alert state: all through the store's basic auth.
    ...(['datasource', 'remoteWrite', 'remoteRead'] as const).flatMap((client) => [
      `-${client}.url=${opts.storeUrl}`,
      `-${client}.basicAuth.username=${store.user}`,
      `-${client}.basicAuth.passwordFile=${store.passwordFile}`,
    ]),
    ...opts.alertmanagerUrls.map((url) => `-notifier.url=${url}`),
    // One user and password file per -notifier.url, in the same order.
    ...opts.alertmanagerUrls.map(() => `-notifier.basicAuth.username=${am.user}`),
    ...opts.alertmanagerUrls.map(() => `-notifier.basicAuth.passwordFile=${am.passwordFile}`),
    `-evaluationInterval=${ctx.config.intervals.evaluation}`,
    `-httpListenAddr=${opts.listen}`,
  ];
}

/** Paths of the HA files, relative to the repository root (see generate.ts). */
export const haPaths = {
  compose: 'docker-compose.observability.ha.yml',
  dir: 'observability/ha',
  prometheus: (replica: string) => `observability/ha/prometheus/prometheus-${replica}.yml`,
  entrypoint: 'observability/ha/prometheus/entrypoint.sh',
  serviceTargets: 'observability/ha/prometheus/targets/askproai.yml',
  grafanaDatasource: 'observability/ha/grafana/victoriametrics.yml',
  vmAuth: 'observability/ha/victoriametrics/auth.sh',
  readme: 'observability/ha/README.md',
} as const;

/**
 * docker-compose.observability.ha.yml: an override of docker-compose.observability.yml. Its
 * `prometheus` and `alertmanager` become replica a and cluster member a; b, VictoriaMetrics and
 * (profile `long-range`) vmalert join them.
 */
export function haCompose(ctx: Context, split: RuleSplit): Record<string, unknown> {
  const { ha, remoteWrite, storage } = ctx.config;
  const retention = localRetention(ctx, split.replicaExprs);
  const replicas = Object.entries(ha.prometheusReplicas);
  const targetsDir = ha.serviceTargetsFile.slice(0, ha.serviceTargetsFile.lastIndexOf('/'));
  const services: Record<string, unknown> = {};
  // Basic auth as in the single-host stack: the web-config volume the base file's web-config service fills.
  const webVolume = `web-config:${ctx.config.webAuth.dir}:ro`;
  const afterWebConfig = () => ({ 'web-config': { condition: 'service_completed_successfully' } });
  const promSecret = webSecretName(ctx, 'prometheus');
  const amSecret = webSecretName(ctx, 'alertmanager');
  const vmSecret = victoriaSecretName(ctx);
  const vmAuthMount = `./${haPaths.dir}/victoriametrics:${VM_AUTH_DIR}:ro`;
  replicas.forEach(([name, replica], i) => {
    const own = {
      entrypoint: ['/bin/sh', `${HA_DIR}/entrypoint.sh`],
      command: [
        '--storage.tsdb.path=/prometheus',
        `--storage.tsdb.retention.time=\${PROMETHEUS_RETENTION_TIME:-${retention}}`,
        `--storage.tsdb.retention.size=\${PROMETHEUS_RETENTION_SIZE:-${storage.retentionSize}}`,
        // No --web.enable-lifecycle (reload with kill -s HUP), basic auth on UI, API and /metrics.
        webConfigFlag(ctx, 'prometheus'),
        '--enable-feature=exemplar-storage',
        `--web.external-url=\${PROMETHEUS_${replica.toUpperCase()}_EXTERNAL_URL:-http://localhost:${9090 + i}}`,
      ],
      environment: {
        PROMETHEUS_CONFIG_SOURCE: `${HA_DIR}/prometheus-${replica}.yml`,
        // Empty unless set: a tenant in the config (remoteWrite.orgId) is already in the file.
        PROMETHEUS_REMOTE_WRITE_ORG_ID: `\${PROMETHEUS_REMOTE_WRITE_ORG_ID:-}`,
      },
      depends_on: { victoriametrics: { condition: 'service_started' } },
    };
    const mounts = [`./${haPaths.dir}/prometheus:${HA_DIR}:ro`];
    services[name] =
      i === 0
        ? { ...own, volumes: mounts, secrets: [vmSecret] }
        : {
            image: 'prom/prometheus:v2.42.0',
            restart: 'unless-stopped',
            ...own,
            depends_on: { ...own.depends_on, ...afterWebConfig() },
            volumes: [
              './observability/prometheus:/etc/prometheus:ro',
              ...mounts,
              `${name}-data:/prometheus`,
              webVolume,
            ],
            secrets: ['metrics_token', 'remote_write_password', promSecret, amSecret, vmSecret],
            extra_hosts: ['host.docker.internal:host-gateway'],
            ports: [`127.0.0.1:${9090 + i}:9090`],
            networks: ['monitoring'],
            healthcheck: webHealthcheck(ctx, 'prometheus', 9090),
          };
  });
  // Every member lists every other one as a peer; gossip stays on the internal network. Members after
  // the first publish their UI above the gossip port (9093, 9095, ...) and read ALERTMANAGER_B_EXTERNAL_URL ...
  const suffix = (i: number) => (i === 0 ? '' : `${String.fromCharCode(65 + i)}_`);
  const amPublished = (i: number) => (i === 0 ? ha.alertmanagerPort : ha.alertmanagerPort + i + 1);
  ha.alertmanagers.forEach((name, i) => {
    const command = [
      '--config.file=/etc/alertmanager/alertmanager.yml',
      '--storage.path=/alertmanager',
      `--web.external-url=\${ALERTMANAGER_${suffix(i)}EXTERNAL_URL:-http://localhost:${amPublished(i)}}`,
      `--cluster.listen-address=0.0.0.0:${ha.clusterPort}`,
      ...ha.alertmanagers.filter((p) => p !== name).map((p) => `--cluster.peer=${p}:${ha.clusterPort}`),
      `--cluster.peer-timeout=${ha.peerTimeout}`,
      // Basic auth on UI, API and /metrics; the gossip (memberlist, not HTTP) stays on the internal network.
      webConfigFlag(ctx, 'alertmanager'),
    ];
    services[name] =
      i === 0
        ? { command }
        : {
            image: 'prom/alertmanager:v0.25.0',
            restart: 'unless-stopped',
            command,
            volumes: [
              './observability/alertmanager:/etc/alertmanager:ro',
              `${name}-data:/alertmanager`,
              webVolume,
            ],
            secrets: ['slack_webhook_url', 'smtp_password', amSecret],
            depends_on: afterWebConfig(),
            ports: [`127.0.0.1:${amPublished(i)}:${ha.alertmanagerPort}`],
            networks: ['monitoring'],
            healthcheck: webHealthcheck(ctx, 'alertmanager', ha.alertmanagerPort),
          };
  });
  const vmUrl = remoteWrite.url.replace(/\/api\/v1\/write$/, '');
  // Both behind basic auth (auth.sh: the password from the secret file, never on a command line) and
  // their admin endpoints closed; the health checks see them answer and refuse a request without it.
  services.victoriametrics = {
    image: `victoriametrics/victoria-metrics:${VM_VERSION}`,
    restart: 'unless-stopped',
    entrypoint: ['/bin/sh', `${VM_AUTH_DIR}/auth.sh`, '/victoria-metrics-prod'],
    command: victoriaArgs(ctx),
    volumes: ['victoriametrics-data:/storage', vmAuthMount],
    secrets: [vmSecret],
    ports: ['127.0.0.1:8428:8428'],
    networks: ['monitoring'],
    healthcheck: refusingHealthcheck(8428, '/api/v1/labels'),
  };
  // vmalert evaluates the long-range rule files against the store (always on when there are any);
  // without them it can evaluate every file on demand (profile `long-range`).
  const vmalertRules = split.vmalert.length > 0 ? split.vmalert : ['*.yml'];
  services.vmalert = {
    image: `victoriametrics/vmalert:${VM_VERSION}`,
    restart: 'unless-stopped',
    ...(split.vmalert.length > 0 ? {} : { profiles: ['long-range'] }),
    entrypoint: ['/bin/sh', `${VM_AUTH_DIR}/auth.sh`, '/vmalert-prod'],
    command: vmalertArgs(ctx, {
      rules: vmalertRules.map((f) => `${RULES_DIR}/${f}`),
      storeUrl: vmUrl,
      alertmanagerUrls: ha.alertmanagers.map((name) => `http://${name}:${ha.alertmanagerPort}`),
      listen: ':8880',
    }),
    volumes: [`./observability/prometheus/rules:${RULES_DIR}:ro`, vmAuthMount],
    secrets: [amSecret, vmSecret],
    ports: ['127.0.0.1:8880:8880'],
    networks: ['monitoring'],
    depends_on: ['victoriametrics'],
    healthcheck: refusingHealthcheck(8880, '/api/v1/rules'),
  };
  services.grafana = {
    volumes: [`./${haPaths.grafanaDatasource}:/etc/grafana/provisioning/datasources/victoriametrics.yml:ro`],
    secrets: [vmSecret],
  };
  // The service instances' file_sd list, mounted where every replica looks for it.
  for (const [name] of replicas) {
    const s = services[name] as { volumes: string[] };
    s.volumes.push(`./${haPaths.dir}/prometheus/targets:${targetsDir}:ro`);
  }
  return {
    services,
    volumes: {
      ...Object.fromEntries(replicas.slice(1).map(([name]) => [`${name}-data`, {}])),
      ...Object.fromEntries(ha.alertmanagers.slice(1).map((name) => [`${name}-data`, {}])),
      'victoriametrics-data': {},
    },
    secrets: { [vmSecret]: { file: `./observability/secrets/${vmSecret}` } },
  };
}

/** observability/ha/README.md: what the files are and the numbers the queue settings come from. */
export function haReadme(ctx: Context, header: string, split: RuleSplit): string {
  const plan = capacityPlan(ctx);
  const q = queueSizing(ctx, plan);
  const rw = ctx.config.remoteWrite;
  const replicas = Object.entries(ctx.config.ha.prometheusReplicas);
  return `${header}
# High-availability layout

Start it on top of the single-host stack (docs/scaling.md explains the layout and what was proven):

\`\`\`bash
docker-compose -f docker-compose.observability.yml -f docker-compose.observability.ha.yml up -d
\`\`\`

| file | what it is |
|---|---|
${replicas.map(([name, r]) => `| \`prometheus/prometheus-${r}.yml\` | compose service \`${name}\`: external label \`${ctx.config.ha.replicaLabel}="${r}"\` |`).join('\n')}
| \`prometheus/entrypoint.sh\` | adds \`X-Scope-OrgID\` from \`PROMETHEUS_REMOTE_WRITE_ORG_ID\`, starts Prometheus |
| \`prometheus/targets/askproai.yml\` | the service instances (file_sd; edit the plan's \`capacity.instances\` and regenerate) |
| \`grafana/victoriametrics.yml\` | Grafana datasource for long-range queries (basic auth, password from \`${victoriaSecretName(ctx)}\`) |
| \`victoriametrics/auth.sh\` | entrypoint of VictoriaMetrics and vmalert: basic auth (user \`${rw.basicAuth.user}\`, password from the secret file \`${victoriaSecretName(ctx)}\`, kept off the command line), admin endpoints closed |

## Remote-write queue, sized from the capacity plan

| | value |
|---|---:|
| active series per replica, at most (docs/capacity.md) | ${thousands(plan.total.max)} |
| samples per second per replica | ${thousands(q.samplesPerSecond)} |
| samples per request (\`max_samples_per_send\`) | ${thousands(q.queue.max_samples_per_send)} |
| assumed request time | ${rw.requestSeconds} s |
| shards for the steady rate (\`min_shards\`) | ${q.queue.min_shards} |
| shards to catch up ${rw.catchUpFactor}× faster after an outage (\`max_shards\`) | ${q.queue.max_shards} |
| samples buffered per shard (\`capacity\`) | ${thousands(q.queue.capacity)} |
| retry back-off | ${q.queue.min_backoff} … ${q.queue.max_backoff} |

Series matching \`${droppedSeries(ctx)}\` stay out of long-term storage.
The replicas keep ${localRetention(ctx, split.replicaExprs)} locally and evaluate ${split.replicas.map((f) => `\`${f}\``).join(', ')}
(the longest window they read is ${longestRuleWindow(split.replicaExprs)} s). ${
    split.vmalert.length > 0
      ? `vmalert evaluates ${split.vmalert.map((f) => `\`${f}\``).join(', ')} against VictoriaMetrics: they read windows longer than the replicas keep.`
      : 'No rule reads a window longer than that; vmalert (profile `long-range`) can evaluate every file against VictoriaMetrics.'
  }
VictoriaMetrics keeps ${rw.longTermRetention}.
`;
}
