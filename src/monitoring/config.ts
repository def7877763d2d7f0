/**
 * Every threshold, window, selector and interval of the generated observability stack, in one
 * object. The alert rules, recording rules, dashboards, Prometheus and Alertmanager configuration and
 * the capacity plan all read it; nothing in the generators types a number into PromQL by hand.
 *
 * Durations are Prometheus durations (`30s`, `5m`, `1h`, `15d`). Thresholds are in the metric's base
 * unit (seconds, ratios 0..1) unless the name says `Percent`.
 */

import { DEFAULT_APP_TIMEZONE } from '../config.ts';
import {
  type BookingSource,
  type CallStatus,
  DEFAULT_NAMESPACE,
  type MetricKey,
  type WebhookStatus,
} from '../metrics/catalog.ts';
import { DEFAULTS } from '../metrics/defaults.ts';

/**
 * Route templates of the demo endpoints (`/api/fail` answers 500 on purpose, `/api/demo/slow` sleeps):
 * excluded from the SLOs and from the API alerts, so demonstrating an error never pages anyone.
 */
export const demoEndpoints: readonly string[] = ['/api/fail', '/api/demo/slow'];

/** The same list under the name the service registers the routes from. */
export const DEMO_ENDPOINTS = demoEndpoints;

/** A literal as an RE2 pattern (route templates may hold `.` or `+`). */
function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export const monitoringConfig = {
  /** Metric namespace the service exposes (METRICS_NAMESPACE); every metric name is built from it. */
  namespace: DEFAULT_NAMESPACE,

  /** Prometheus job names; every selector below matches on them. */
  jobs: {
    /** The AskProAI service instances (scraped at /api/metrics with a bearer token). */
    service: 'askproai',
    prometheus: 'prometheus',
    alertmanager: 'alertmanager',
    node: 'node',
    redis: 'redis',
    /** Optional exporters (compose profiles `postgres` and `mysql`); no targets when not running. */
    postgres: 'postgres',
    mysql: 'mysql',
  },

  /** Where the compose stack finds what it scrapes (container DNS names; the service runs on the host). */
  targets: {
    /** The service on the Docker host, reached through `extra_hosts: host.docker.internal:host-gateway`. */
    service: ['host.docker.internal:8080'],
    /** The service inside the stack (compose profile `app`), found by DNS: no target while it is not running. */
    serviceInStack: 'app:8080',
    metricsPath: DEFAULTS.metricsPath,
    /** File holding the bearer token (a Docker secret); never the token itself. */
    serviceTokenFile: '/run/secrets/metrics_token',
    prometheus: 'localhost:9090',
    alertmanager: 'alertmanager:9093',
    node: 'node-exporter:9100',
    redis: 'redis-exporter:9121',
    postgres: 'postgres-exporter:9187',
    mysql: 'mysqld-exporter:9104',
    /**
     * Database exporters the stack runs (compose profiles `postgres`, `mysql`). They are scraped
     * statically, so a stopped exporter shows as `up == 0` instead of vanishing; list only those
     * you start.
     */
    databaseExporters: ['mysql'] as ('postgres' | 'mysql')[],
  },

  /** Scrape and rule timing. */
  intervals: {
    /** How often Prometheus scrapes every target. */
    scrape: '15s',
    /** Per-scrape timeout; below the interval. */
    scrapeTimeout: '10s',
    /** How often rule groups are evaluated. */
    evaluation: '15s',
  },

  /** Windows of rates and quantiles. 5m holds 20 scrapes at 15 s: smooth, yet quick to react. */
  windows: {
    rate: '5m',
    /** Reload-failure alerts look back this far, so one failed reload followed by a fix clears. */
    reload: '5m',
  },

  /** The label matchers each family of queries uses (PromQL matcher lists without braces). */
  selectors: {
    /**
     * Application requests: unrouted requests (scanners, typos) would only dilute the latency SLO, and
     * the demo endpoints fail or sleep on purpose.
     */
    api: `endpoint!~${JSON.stringify(['unmatched', ...demoEndpoints].map(escapeRegex).join('|'))}`,
    /** Server errors for the error-rate alert and panels. */
    serverErrors: 'status=~"5.."',
    /**
     * Responses whose duration the service answers for. A client error (4xx, including 408 timeouts
     * and 499 aborts) lasts as long as its client makes it last: anyone can upload a body one byte at
     * a time to a public route and be answered 401 after 30 s. Latency alerts and SLOs leave them out,
     * so nobody without a credential can raise a latency page.
     */
    served: 'status!~"4.."',
    /** Filesystems that count for the disk alert (container overlays and RAM disks excluded). */
    disk: 'fstype!~"tmpfs|overlay|squashfs|ramfs|devtmpfs|nsfs|fuse.lxcfs",mountpoint!~"/run.*|/boot.*"',
  },

  /** Outcomes the business dashboards count as failures (values of the catalog's closed label sets). */
  outcomes: {
    failedCalls: ['failed', 'no_answer', 'busy'] satisfies CallStatus[],
    webhookErrors: ['failed', 'rejected', 'invalid', 'unknown_tenant'] satisfies WebhookStatus[],
    /** Booking source of bookings made on the phone, for the call-to-booking conversion. */
    phoneBookingSource: 'phone' satisfies BookingSource,
    /** Call status of calls that reached the AI agent. */
    completedCall: 'completed' satisfies CallStatus,
  },

  /** Quantile the latency SLAs are stated for. */
  quantile: 0.95,

  /** The spec's SLA thresholds ("Performance Alerts Configured") and the extra alerts. */
  thresholds: {
    /** API response time p95, warning (spec: > 200 ms). Must be a bucket edge of the HTTP histogram. */
    apiLatencyWarningSeconds: 0.2,
    /** API response time p95, critical (spec: > 500 ms). */
    apiLatencyCriticalSeconds: 0.5,
    /** Share of requests answered with 5xx (warning). */
    errorRatio: 0.05,
    /** Share of requests answered with 5xx that is an outage (critical: e-mail as well as Slack). */
    errorRatioCritical: 0.5,
    /** Requests of one route a stalled handler left unanswered (warning): one is already a stuck handler. */
    unansweredWarning: 1,
    /** The same that pages (critical): several, so the route is stuck, not one request leaked. */
    unansweredCritical: 5,
    /** Admin dashboard page load p95 (spec: > 1 s). */
    adminPageLoadSeconds: 1,
    /** Webhook processing p95 (spec: > 500 ms). */
    webhookSeconds: 0.5,
    /** Database query time p95 (spec: > 100 ms). */
    queryTimeSeconds: 0.1,
    /** Open connections as a share of max_connections (spec: 80 of 100). */
    databaseConnectionsRatio: 0.8,
    /** Jobs waiting in one queue (spec: > 1,000). */
    queueSize: 1000,
    /** A job running longer than this is a timeout (spec: > 30 s); a bucket edge of the job histogram. */
    jobTimeoutSeconds: 30,
    /** Host memory in use (spec: > 85 %). */
    memoryPercent: 85,
    /** Host CPU busy (spec: > 80 %). */
    cpuPercent: 80,
    /** Filesystem space used (spec: > 90 %). */
    diskPercent: 90,
    /** A scheduled collector that has not succeeded for this long is stale (it runs every minute). */
    collectionStaleSeconds: 300,
  },

  /** How long each condition must hold before the alert fires (`for:`). */
  for: {
    apiLatency: '5m',
    errorRate: '5m',
    /** The critical (outage) level of the error rate: sooner than the warning. */
    outage: '2m',
    /** Requests left unanswered by a stalled handler (they count 30 s after the abort already). */
    unanswered: '2m',
    adminPageLoad: '10m',
    webhook: '5m',
    queryTime: '10m',
    databaseConnections: '5m',
    queueSize: '10m',
    jobTimeout: '1m',
    /** A critical application error (an event lost): notify at once. */
    criticalErrors: '1m',
    memory: '10m',
    cpu: '15m',
    disk: '10m',
    targetDown: '2m',
    collectionStale: '5m',
    configReload: '5m',
  },

  /**
   * SLOs (src/monitoring/slo/specs.ts): the period budgets are measured over and the multiwindow,
   * multi-burn-rate alert windows of the Google SRE workbook. A window's burn-rate factor is derived
   * from the share of the budget it may consume: `budgetShare * period / long` (2% of 30 d in 1 h = 14.4).
   */
  slo: {
    period: '30d',
    /** Every window an SLI error ratio is recorded for. */
    windows: ['5m', '30m', '1h', '2h', '6h', '1d', '3d'],
    /** `for:` of each pair as Pyrra sets it: a short blip does not notify, a total outage pages in < 5 min. */
    alerts: [
      { severity: 'page', long: '1h', short: '5m', budgetShare: 0.02, for: '2m' },
      { severity: 'page', long: '6h', short: '30m', budgetShare: 0.05, for: '15m' },
      { severity: 'ticket', long: '1d', short: '2h', budgetShare: 0.1, for: '1h' },
      { severity: 'ticket', long: '3d', short: '6h', budgetShare: 0.1, for: '3h' },
    ] as { severity: 'page' | 'ticket'; long: string; short: string; budgetShare: number; for: string }[],
    /**
     * A total outage must page within this time: the fastest page window's threshold, reached after
     * `factor × budget × long` of total failure, plus its `for:` (the generator refuses specs that miss it).
     */
    outageDetection: '5m',
    /** Alertmanager severity of each SLO alert level: a page wakes someone (e-mail), a ticket waits. */
    routing: { page: 'critical', ticket: 'warning' } as const,
  },

  /** The business funnel: deliveries refused, calls and bookings that stop arriving. */
  funnel: {
    /** Window the webhook rejection/failure share is measured over. */
    webhookWindow: '5m',
    /** Share of a provider's signed deliveries that failed while applied above which it alerts. */
    webhookFailureRatio: 0.5,
    /**
     * Rejected deliveries (bad signature) an instance must see in the window, with none accepted,
     * before AskProAIWebhooksRejected warns: one stray scanner request does not.
     */
    webhookRejectedMinimum: 3,
    /** for: of the webhook alerts; window + for stays within the 10 minutes the runbook promises. */
    webhookFor: '3m',
    /** No call (no booking) for this long during business hours raises an alert. */
    silenceWindow: '30m',
    /** for: of the silence alerts. */
    silenceFor: '5m',
    /** Business hours, local time in `timezone` (Alertmanager time_intervals). */
    businessHours: {
      timezone: DEFAULT_APP_TIMEZONE,
      weekdays: ['monday:friday'],
      times: [{ start_time: '08:00', end_time: '18:00' }],
    },
    /** Same hour last week: warn when this hour's traffic is below last week's divided by this factor. */
    dropFactor: 2,
    /** ...but only when last week's hour had at least this many calls (bookings); noise otherwise. */
    dropMinimumLastWeek: 20,
    /** Window of the week-over-week comparison and the for: of its warning. */
    dropWindow: '1h',
    dropFor: '15m',
  },

  /** The stack watching itself. */
  meta: {
    /** Failed notifications per receiver (rate over the window) above which notifications are failing. */
    notificationsWindow: '5m',
    notificationsFor: '5m',
    /** Rule evaluation failures over this window alert. */
    ruleFailuresWindow: '5m',
    ruleFailuresFor: '5m',
    /** Label sets folded into __overflow__ over this window alert. */
    overflowWindow: '15m',
    /**
     * A collector that has errors but no success since the service started (no last-success series)
     * alerts after this long.
     */
    neverSucceededFor: '10m',
    notificationsFailureRatio: 0.01,
    /** Database servers down as their exporter reports it (`pg_up`, `mysql_up`, `redis_up`). */
    databaseDownFor: '1m',
    /**
     * Dead man's switch: Watchdog always fires and Alertmanager posts it here every
     * `heartbeatInterval` (a healthchecks.io-style check that alarms when the posts stop). Set your
     * check's URL and regenerate.
     */
    heartbeatUrl: 'https://hc-ping.com/askproai-alertmanager-heartbeat',
    heartbeatInterval: '1m',
  },

  /** Runbooks: every alert's `runbook_url` points at its heading in this committed file. */
  runbookBaseUrl: 'https://github.com/askproai/askproai-monitoring/blob/main/docs/runbooks.md',

  /** Alertmanager routing and receivers. Secrets are read from files (Docker secrets). */
  alertmanager: {
    /** Labels alerts are grouped by: one notification per alert and service. */
    groupBy: ['alertname', 'service'],
    groupWait: '30s',
    groupInterval: '5m',
    repeatInterval: '4h',
    slackChannel: '#askproai-alerts',
    slackApiUrlFile: '/run/secrets/slack_webhook_url',
    emailTo: 'oncall@askproai.de',
    emailFrom: 'alertmanager@askproai.de',
    smarthost: 'smtp.askproai.de:587',
    smtpUsername: 'alertmanager@askproai.de',
    smtpPasswordFile: '/run/secrets/smtp_password',
    /**
     * Grafana as operators reach it: every alert's `dashboard_url` starts here. (Prometheus and
     * Alertmanager links come from their own `--web.external-url`.)
     */
    grafanaUrl: 'http://localhost:3000',
  },

  /**
   * Basic auth on the Prometheus and Alertmanager web servers (UI, API, /metrics, lifecycle): one user
   * each, its password in a secret file. Their `--web.config.file` holds only the bcrypt hash, made at
   * stack start by the `web-config` service (observability/web-config/render.sh); every client (Grafana,
   * Prometheus, vmalert, the health checks) reads the same secret file.
   */
  webAuth: {
    prometheus: { user: 'admin', passwordFile: '/run/secrets/prometheus_web_password' },
    alertmanager: { user: 'admin', passwordFile: '/run/secrets/alertmanager_web_password' },
    /** bcrypt cost (2^cost rounds per check of a new password; the servers cache verified ones). */
    bcryptCost: 10,
    /** Where the `web-config` volume is mounted in the Prometheus and Alertmanager containers. */
    dir: '/etc/web-config',
  },

  /** Prometheus storage, defaults for the compose environment variables of the same meaning. */
  storage: {
    /** PROMETHEUS_RETENTION_TIME */
    retentionTime: '15d',
    /** PROMETHEUS_RETENTION_SIZE */
    retentionSize: '10GB',
  },

  /**
   * The highly available layout (docker-compose.observability.ha.yml, observability/ha/) and the
   * Kubernetes manifests (deploy/kubernetes/). See docs/scaling.md.
   */
  ha: {
    /** Prometheus replicas: compose service name → value of the replica label. Both scrape the same targets. */
    prometheusReplicas: { prometheus: 'a', 'prometheus-b': 'b' } as Record<string, string>,
    /** External label telling the replicas apart; dropped before alerts reach Alertmanager. */
    replicaLabel: 'replica',
    /** Alertmanager cluster members (compose service names), peers of each other over the gossip port. */
    alertmanagers: ['alertmanager', 'alertmanager-b'],
    alertmanagerPort: 9093,
    /** Alertmanager gossip (memberlist) port. */
    clusterPort: 9094,
    /** How long an Alertmanager waits for the peer before it in the cluster to notify (`--cluster.peer-timeout`). */
    peerTimeout: '15s',
    /** file_sd file (inside the container) listing the service instances; one target per planned instance. */
    serviceTargetsFile: '/etc/prometheus/targets/askproai.yml',
  },

  /** remote_write from every replica to the long-term store. */
  remoteWrite: {
    /** VictoriaMetrics single node in the HA compose layout (Mimir: .../api/v1/push, Thanos Receive: .../api/v1/receive). */
    url: 'http://victoriametrics:8428/api/v1/write',
    /**
     * Drop the replica label on the way out, so both replicas write the same series and VictoriaMetrics
     * keeps one sample per scrape interval (`-dedup.minScrapeInterval`). Keep it (false) for Mimir's HA
     * tracker or Thanos, which deduplicate on the label themselves.
     */
    dropReplicaLabel: true,
    /**
     * Kept out of long-term storage: catalog metrics with many series and no long-range use (per-heap-space
     * and per-resource detail, GC buckets, the label guard's debug counter), and other programs' series
     * matching `dropOther`. Prometheus still stores them for its own retention.
     */
    dropMetrics: [
      'nodejsHeapSpaceSizeUsed',
      'nodejsActiveResources',
      'nodejsGcDuration',
      'metricsDroppedLabels',
    ] satisfies MetricKey[] as MetricKey[],
    /** Metric-name regex of other programs' debug series (Go runtime internals, per-scrape bookkeeping). */
    dropOther: 'go_(memstats|gc|sched)_.*|scrape_(samples_post_metric_relabeling|series_added)',
    /**
     * Basic auth of the long-term store in the HA layout: VictoriaMetrics and vmalert answer only this user
     * with the password in the secret file, and every client (the replicas' remote_write, vmalert, Grafana)
     * reads the same file. Not `remote_write_password`: that one is an external store's, set by its operator
     * and empty when none is used; this one is ours and must be strong.
     */
    basicAuth: { user: 'admin', passwordFile: '/run/secrets/victoriametrics_password' },
    /** `X-Scope-OrgID` for a multi-tenant store (Mimir, Cortex); empty sends none. PROMETHEUS_REMOTE_WRITE_ORG_ID overrides it at start. */
    orgId: '',
    /** Samples per request (VictoriaMetrics and Mimir take large batches well). */
    samplesPerSend: 2000,
    /** Planning assumption: seconds one remote-write request takes. */
    requestSeconds: 0.25,
    /** After an outage the queue must send this many times faster than samples arrive, to catch up. */
    catchUpFactor: 4,
    /** Longest pause between retries while the store is down. */
    maxBackoff: '5s',
    /** How long VictoriaMetrics keeps samples (`-retentionPeriod`); Prometheus keeps storage.retentionTime. */
    longTermRetention: '400d',
    /** Retention of the replicas' local TSDB when remote write carries the history. */
    localRetention: '7d',
    /** PrometheusRemoteWriteBehind: the newest sent sample lags the newest appended one by more than this. */
    behindSeconds: 120,
    /** PrometheusRemoteWriteFailing: share of samples the store rejected for good. */
    failingRatio: 0.01,
    /** Window of the remote-write alerts' rates and max_over_time. */
    window: '5m',
    /** `for:` of both remote-write alerts. */
    for: '15m',
  },

  /** Kubernetes manifests (deploy/kubernetes/), for the Prometheus operator. */
  kubernetes: {
    namespace: 'askproai',
    /** The service image (built from the Dockerfile). */
    image: 'ghcr.io/askproai/askproai-monitoring:0.1.0',
    /** Port the service listens on in the pod. */
    containerPort: 8080,
    /** Secret holding the metrics bearer token (key `token`); created by the operator, never committed. */
    tokenSecret: 'askproai-metrics-token',
    /** Secret with the Slack webhook URL and SMTP password (keys as in observability/secrets). */
    alertmanagerSecret: 'askproai-alertmanager-secrets',
    /**
     * Secret with the long-term store's basic auth (keys `username` and `password`), which the replicas'
     * remote write sends: the store accepts writes from no one else (as in the compose HA layout).
     */
    remoteWriteSecret: 'askproai-remote-write',
    /** Label every object carries so the Prometheus and Alertmanager resources select them. */
    selectorLabel: { 'app.kubernetes.io/part-of': 'askproai' } as Record<string, string>,
    /** Label the Grafana sidecar watches for dashboard ConfigMaps. */
    grafanaDashboardLabel: { grafana_dashboard: '1' } as Record<string, string>,
    /**
     * Who may reach Prometheus' and Alertmanager's web ports besides the stack itself (the
     * NetworkPolicies of networkpolicy.yaml): pods with `queryPodLabel` in the namespace (Grafana) and
     * pods of any namespace labelled `queryNamespaceLabel` (where a shared Grafana runs).
     */
    queryPodLabel: { 'app.kubernetes.io/name': 'grafana' } as Record<string, string>,
    queryNamespaceLabel: { 'monitoring.askproai.io/query': 'true' } as Record<string, string>,
  },

  /** Grafana dashboards: shared defaults. */
  dashboards: {
    refresh: '30s',
    timeFrom: 'now-6h',
    timezone: 'browser',
    tags: ['askproai'],
    /** Datasource uids provisioned in grafana/provisioning/datasources. */
    prometheusUid: 'prometheus',
    lokiUid: 'loki',
    alertmanagerUid: 'alertmanager',
    /** Where an exemplar's trace id links from the latency panels (Grafana fills in the id). */
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's placeholder, not a template literal.
    traceUrl: 'https://askproai.sentry.io/performance/trace/${__value.raw}',
  },

  /** Assumptions of the capacity plan (docs/capacity.md). */
  capacity: {
    /** Service instances Prometheus scrapes. */
    instances: 2,
    /** Routes of the service (route templates; `unmatched` included). */
    routes: 30,
    /** Status codes a route answers with in practice. */
    statusesPerRoute: 4,
    /** HTTP methods per route in practice. */
    methodsPerRoute: 1,
    /** Tenants (companies) with calls. */
    tenants: 200,
    /** Queues. */
    queues: 5,
    /** Webhook event types per provider. */
    webhookEvents: 6,
    /** Error types recorded by the application. */
    errorTypes: 30,
    /** Scheduled collectors. */
    collectors: 5,
    /** Series of the exporters per scraped host (measured orders of magnitude, not caps). */
    exporterSeries: { node: 1200, redis: 250, prometheus: 900, alertmanager: 150, postgres: 400, mysql: 500 },
    /** Compressed bytes per sample on disk. Prometheus documents 1-2; we plan with the upper end. */
    bytesPerSample: 2,
    /** Series above which one Prometheus should hand long-term storage to a remote store. */
    remoteStorageSeries: 1_000_000,
    /** Retention above which remote storage is cheaper than Prometheus' local TSDB. */
    remoteStorageRetentionDays: 30,
  },
};

export type MonitoringConfig = typeof monitoringConfig;

const DURATION = /^(?:\d+(?:ms|s|m|h|d|w|y))+$/;

/**
 * Checks a configuration before anything is generated from it: every duration parses, every ratio
 * lies in 0..1 and every latency threshold is a bucket edge of its histogram (a quantile between
 * two edges is interpolated, so an SLA that is not an edge would be judged on a guess). Throws one
 * error naming every bad setting.
 */
export function validateConfig(config: MonitoringConfig, bucketsOf: Record<string, readonly number[]>): void {
  const problems: string[] = [];
  const durations: [string, string][] = [
    ...Object.entries(config.intervals).map(([k, v]): [string, string] => [`intervals.${k}`, v]),
    ...Object.entries(config.windows).map(([k, v]): [string, string] => [`windows.${k}`, v]),
    ...Object.entries(config.for).map(([k, v]): [string, string] => [`for.${k}`, v]),
    ['storage.retentionTime', config.storage.retentionTime],
    ...(['maxBackoff', 'longTermRetention', 'localRetention', 'window', 'for'] as const).map(
      (k): [string, string] => [`remoteWrite.${k}`, config.remoteWrite[k]],
    ),
    ['ha.peerTimeout', config.ha.peerTimeout],
  ];
  for (const [key, value] of durations) {
    if (!DURATION.test(value))
      problems.push(`${key}: expected a Prometheus duration such as 5m, got "${value}"`);
  }
  if (!(config.remoteWrite.failingRatio > 0 && config.remoteWrite.failingRatio < 1))
    problems.push(
      `remoteWrite.failingRatio: expected a ratio between 0 and 1, got ${config.remoteWrite.failingRatio}`,
    );
  const { unansweredWarning, unansweredCritical } = config.thresholds;
  if (
    !(Number.isInteger(unansweredWarning) && unansweredWarning >= 1 && unansweredCritical > unansweredWarning)
  )
    problems.push(
      `thresholds.unansweredWarning/unansweredCritical: expected whole numbers 1 <= warning < critical, got ${unansweredWarning} and ${unansweredCritical}`,
    );
  for (const key of ['errorRatio', 'errorRatioCritical', 'databaseConnectionsRatio'] as const) {
    const v = config.thresholds[key];
    if (!(v > 0 && v < 1)) problems.push(`thresholds.${key}: expected a ratio between 0 and 1, got ${v}`);
  }
  // Both are written into the web-config script and YAML unquoted by the shell: plain names only.
  for (const server of ['prometheus', 'alertmanager'] as const) {
    const { user, passwordFile } = config.webAuth[server];
    if (!/^[a-z][a-z0-9_-]{0,31}$/.test(user))
      problems.push(`webAuth.${server}.user: expected a plain lower-case name, got "${user}"`);
    if (!/^\/run\/secrets\/[a-z][a-z0-9_]{0,63}$/.test(passwordFile))
      problems.push(`webAuth.${server}.passwordFile: expected /run/secrets/<name>, got "${passwordFile}"`);
  }
  {
    const { user, passwordFile } = config.remoteWrite.basicAuth;
    if (!/^[a-z][a-z0-9_-]{0,31}$/.test(user))
      problems.push(`remoteWrite.basicAuth.user: expected a plain lower-case name, got "${user}"`);
    if (!/^\/run\/secrets\/[a-z][a-z0-9_]{0,63}$/.test(passwordFile))
      problems.push(
        `remoteWrite.basicAuth.passwordFile: expected /run/secrets/<name>, got "${passwordFile}"`,
      );
  }
  if (
    !(
      Number.isInteger(config.webAuth.bcryptCost) &&
      config.webAuth.bcryptCost >= 10 &&
      config.webAuth.bcryptCost <= 14
    )
  )
    problems.push(`webAuth.bcryptCost: expected an integer from 10 to 14, got ${config.webAuth.bcryptCost}`);
  if (!(config.quantile > 0 && config.quantile < 1))
    problems.push(`quantile: expected 0..1, got ${config.quantile}`);
  for (const [key, buckets] of Object.entries(bucketsOf)) {
    const value = config.thresholds[key as keyof MonitoringConfig['thresholds']];
    if (!buckets.includes(value)) {
      problems.push(
        `thresholds.${key}: ${value} is not a bucket edge of its histogram (${buckets.join(', ')})`,
      );
    }
  }
  if (problems.length > 0) throw new Error(`Invalid monitoring configuration:\n  ${problems.join('\n  ')}`);
}
