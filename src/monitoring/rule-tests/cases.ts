/**
 * `promtool test rules` cases for every generated alert (generated into
 * observability/prometheus/tests/alerts.test.yml), written by hand: inputs that cross each
 * threshold, inputs that stay below it, and the exact labels and annotations expected. For each
 * alert: silent just before its `for:` expires, firing when it does, silent for the "below" inputs.
 */
import {
  HTTP_BUCKETS,
  JOB_BUCKETS,
  PAGE_LOAD_BUCKETS,
  QUERY_BUCKETS,
  WEBHOOK_BUCKETS,
} from '../../metrics/catalog.ts';
import { remoteWriteCases } from './remote-write.ts';

export interface InputSeries {
  series: string;
  values: string;
}

export interface ExpectedAlert {
  exp_labels: Record<string, string>;
  exp_annotations: Record<string, string>;
}

export interface AlertCase {
  alert: string;
  /** Sample interval of the inputs (default 1m); activeAt and forMinutes stay in minutes. */
  interval?: string;
  /** Inputs that make the alert fire. */
  above: InputSeries[];
  /** Minutes after which the expression first holds (0 for gauges, 1 for rates: they need two samples). */
  activeAt: number;
  /** The alert's `for:` in minutes. */
  forMinutes: number;
  expected: ExpectedAlert[];
  /** Inputs close to but below the threshold (or excluded by a selector): nothing fires; null when
   * the alert always fires (Watchdog). */
  below: InputSeries[] | null;
}

export const RUNBOOK = 'https://github.com/askproai/askproai-monitoring/blob/main/docs/runbooks.md';
export const fmt = (labels: Record<string, string>) =>
  `{${Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',')}}`;
const APP = { job: 'askproai', instance: 'app-1:3000' };
const AM = { job: 'alertmanager', instance: 'alertmanager:9093' };
const PROM = { job: 'prometheus', instance: 'localhost:9090' };
/** Minutes in a week (the week-over-week alerts compare with `offset 1w`). */
const WEEK = 7 * 24 * 60;
const RULE_GROUP = '/etc/prometheus/rules/alerts.yml;askproai.api';

/**
 * Cumulative histogram series growing by `perMinute[edge]` observations per minute in the bucket
 * that ends at `edge`.
 */
function histogram(
  name: string,
  labels: Record<string, string>,
  edges: readonly number[],
  perMinute: [edge: number, count: number][],
  minutes = 40,
): InputSeries[] {
  const out: InputSeries[] = [];
  const total = perMinute.reduce((a, [, c]) => a + c, 0);
  for (const edge of [...edges, Number.POSITIVE_INFINITY]) {
    const cumulative = perMinute.filter(([e]) => e <= edge).reduce((a, [, c]) => a + c, 0);
    const le = edge === Number.POSITIVE_INFINITY ? '+Inf' : String(edge);
    out.push({ series: `${name}_bucket${fmt({ ...labels, le })}`, values: `0+${cumulative}x${minutes}` });
  }
  out.push({ series: `${name}_count${fmt(labels)}`, values: `0+${total}x${minutes}` });
  return out;
}

const http = (endpoint: string, perMinute: [number, number][]) =>
  histogram(
    'askproai_http_request_duration_seconds',
    { ...APP, method: 'GET', endpoint, status: '200' },
    HTTP_BUCKETS,
    perMinute,
  );

const apiAnnotations = (value: string, severity: string, threshold: string) => ({
  summary: 'API p95 response time is above its SLA.',
  description: `The API p95 response time of askproai is ${value} s over the last 5m (${severity} above ${threshold} s).`,
  runbook_url: `${RUNBOOK}#askproaiapilatencyhigh`,
});

const counter = (name: string, labels: Record<string, string>, perMinute: number): InputSeries => ({
  series: `${name}${fmt(labels)}`,
  values: `0+${perMinute}x40`,
});
const gauge = (name: string, labels: Record<string, string>, value: number | string): InputSeries => ({
  series: `${name}${fmt(labels)}`,
  values: `${value}x40`,
});

/** Requests left unanswered on `/api/bookings/:id`, on app-1 and app-2 of askproai. */
function stuckOnBookings(app1: number, app2: number): InputSeries[] {
  const endpoint = '/api/bookings/:id';
  return [
    gauge('askproai_http_requests_unanswered', { ...APP, endpoint }, app1),
    gauge('askproai_http_requests_unanswered', { job: 'askproai', instance: 'app-2:3000', endpoint }, app2),
  ];
}

/** The unanswered-requests alert on `/api/bookings/:id` of askproai. */
function unansweredAlert(severity: 'warning' | 'critical', value: number, from: number): ExpectedAlert {
  return {
    exp_labels: { job: 'askproai', endpoint: '/api/bookings/:id', severity, service: 'askproai' },
    exp_annotations: {
      summary: 'A request handler has stalled: requests get no answer at all.',
      description: `${value} requests to /api/bookings/:id of askproai got no answer for longer than the service's threshold after their clients gave up (METRICS_UNANSWERED_AFTER_MS, default 30 s; the handler never responded; ${severity} from ${from}).`,
      runbook_url: `${RUNBOOK}#askproaihttprequestsunanswered`,
    },
  };
}

export const alertCases: AlertCase[] = [
  {
    alert: 'AskProAIApiLatencyHigh',
    // Every request between 0.5 and 0.75 s: p95 = 0.5 + 0.95 × 0.25 = 0.7375 s, warning and critical.
    above: http('/api/bookings/:id', [[0.75, 10]]),
    activeAt: 1,
    forMinutes: 5,
    expected: [
      {
        exp_labels: { job: 'askproai', severity: 'warning', service: 'askproai' },
        exp_annotations: apiAnnotations('0.74', 'warning', '0.2'),
      },
      {
        exp_labels: { job: 'askproai', severity: 'critical', service: 'askproai' },
        exp_annotations: apiAnnotations('0.74', 'critical', '0.5'),
      },
    ],
    // Fast routed requests, plus slow scanner requests that match no route, anyone calling the demo
    // slow route, and unsigned webhook bodies sent one byte at a time (answered 401 after seconds: the
    // client's time). None of them is the service's latency.
    below: [
      ...http('/api/bookings/:id', [[0.1, 10]]),
      ...http('unmatched', [[10, 50]]),
      ...http('/api/demo/slow', [[10, 50]]),
      ...histogram(
        'askproai_http_request_duration_seconds',
        { ...APP, method: 'POST', endpoint: '/api/webhooks/retell', status: '401' },
        HTTP_BUCKETS,
        [[10, 50]],
      ),
    ],
  },
  {
    alert: 'AskProAIApiLatencyHigh',
    // Between the SLAs: p95 = 0.3 + 0.95 × 0.2 = 0.49 s, warning only.
    above: http('/api/bookings/:id', [[0.5, 10]]),
    activeAt: 1,
    forMinutes: 5,
    expected: [
      {
        exp_labels: { job: 'askproai', severity: 'warning', service: 'askproai' },
        exp_annotations: apiAnnotations('0.49', 'warning', '0.2'),
      },
    ],
    below: http('/api/bookings/:id', [[0.2, 10]]),
  },
  {
    alert: 'AskProAIHighErrorRate',
    above: [
      counter(
        'askproai_http_requests_total',
        { ...APP, method: 'POST', endpoint: '/api/bookings', status: '500' },
        10,
      ),
      counter(
        'askproai_http_requests_total',
        { ...APP, method: 'GET', endpoint: '/api/health', status: '200' },
        90,
      ),
      // A flood of unauthenticated requests at the same time does not dilute the share.
      counter(
        'askproai_http_requests_total',
        { ...APP, method: 'GET', endpoint: '/api/companies', status: '401' },
        10_000,
      ),
    ],
    activeAt: 1,
    forMinutes: 5,
    expected: [
      {
        exp_labels: { job: 'askproai', severity: 'warning', service: 'askproai' },
        exp_annotations: {
          summary: 'Too many API requests fail with a server error.',
          description:
            '10% of the API requests of askproai (client errors aside) answered 5xx over the last 5m (warning above 5%).',
          runbook_url: `${RUNBOOK}#askproaihigherrorrate`,
        },
      },
    ],
    below: [
      counter(
        'askproai_http_requests_total',
        { ...APP, method: 'POST', endpoint: '/api/bookings', status: '500' },
        1,
      ),
      // Anyone may call the demo failure route outside production: it never pages.
      counter(
        'askproai_http_requests_total',
        { ...APP, method: 'GET', endpoint: '/api/fail', status: '500' },
        1000,
      ),
      counter(
        'askproai_http_requests_total',
        { ...APP, method: 'GET', endpoint: '/api/health', status: '200' },
        99,
      ),
      // 404s of unrouted requests are not server errors.
      counter(
        'askproai_http_requests_total',
        { ...APP, method: 'GET', endpoint: 'unmatched', status: '404' },
        500,
      ),
      // The demo endpoints fail on purpose: never an alert.
      counter(
        'askproai_http_requests_total',
        { ...APP, method: 'GET', endpoint: '/api/fail', status: '500' },
        500,
      ),
    ],
  },
  {
    alert: 'AskProAIHighErrorRate',
    // A total outage: every request fails. Critical after 2m (e-mail), warning after 5m.
    above: [
      {
        series: `askproai_http_requests_total${fmt({ ...APP, method: 'POST', endpoint: '/api/bookings', status: '500' })}`,
        // Born at 1 by the first failure: the alert still sees every one after it.
        values: '_x2 1+20x40',
      },
    ],
    activeAt: 3,
    forMinutes: 2,
    expected: [
      {
        exp_labels: { job: 'askproai', severity: 'critical', service: 'askproai' },
        exp_annotations: {
          summary: 'Too many API requests fail with a server error.',
          description:
            '100% of the API requests of askproai (client errors aside) answered 5xx over the last 5m (critical above 50%).',
          runbook_url: `${RUNBOOK}#askproaihigherrorrate`,
        },
      },
    ],
    // 4 % failing, from a series born at 1: neither level.
    below: [
      {
        series: `askproai_http_requests_total${fmt({ ...APP, method: 'POST', endpoint: '/api/bookings', status: '500' })}`,
        values: '_x2 1+4x40',
      },
      counter(
        'askproai_http_requests_total',
        { ...APP, method: 'POST', endpoint: '/api/bookings', status: '201' },
        96,
      ),
    ],
  },
  {
    alert: 'AskProAIHttpRequestsUnanswered',
    // A stalled handler on two instances: 4 requests whose clients gave up 30 s ago and more, never
    // answered. A warning after 2m; not yet the page (from 5).
    above: stuckOnBookings(3, 1),
    activeAt: 0,
    forMinutes: 2,
    expected: [unansweredAlert('warning', 4, 1)],
    below: [
      // Aborted requests the handler answered later: the endpoint's series reads 0 once it did.
      gauge('askproai_http_requests_unanswered', { ...APP, endpoint: '/api/bookings' }, 0),
      // A handler that answered a minute late: counted at two scrapes, then answered; no alert.
      {
        series: `askproai_http_requests_unanswered${fmt({ ...APP, endpoint: '/api/companies' })}`,
        values: '1 1 0x38',
      },
      // The demo slow endpoint and unrouted requests are not the service's API.
      gauge('askproai_http_requests_unanswered', { ...APP, endpoint: '/api/demo/slow' }, 6),
      gauge('askproai_http_requests_unanswered', { ...APP, endpoint: 'unmatched' }, 6),
    ],
  },
  {
    alert: 'AskProAIHttpRequestsUnanswered',
    // Five stuck on the route: the route is stalled, not one request leaked. It pages (and warns).
    above: stuckOnBookings(3, 2),
    activeAt: 0,
    forMinutes: 2,
    expected: [unansweredAlert('warning', 5, 1), unansweredAlert('critical', 5, 5)],
    // The case above: 4 warn only.
    below: null,
  },
  {
    alert: 'AskProAIAdminPageSlow',
    // Half the loads under 1 s, half between 1 and 1.5 s: p95 = 1 + 0.5 × 0.9 = 1.45 s.
    above: histogram('askproai_admin_page_load_seconds', { ...APP, page: 'dashboard' }, PAGE_LOAD_BUCKETS, [
      [1, 5],
      [1.5, 5],
    ]),
    activeAt: 1,
    forMinutes: 10,
    expected: [
      {
        exp_labels: { job: 'askproai', severity: 'warning', service: 'askproai' },
        exp_annotations: {
          summary: 'Admin dashboard pages load slower than their SLA (p95).',
          description: 'Admin pages of askproai load in 1.45 s (p95, last 5m; threshold 1 s).',
          runbook_url: `${RUNBOOK}#askproaiadminpageslow`,
        },
      },
    ],
    below: histogram('askproai_admin_page_load_seconds', { ...APP, page: 'dashboard' }, PAGE_LOAD_BUCKETS, [
      [0.75, 10],
    ]),
  },
  {
    alert: 'AskProAIWebhookProcessingSlow',
    // Half under 0.5 s, half between 0.5 and 1 s: p95 = 0.5 + 0.5 × 0.9 = 0.95 s. A flood of unsigned
    // requests refused in a millisecond (event "unknown") does not pull the quantile down.
    above: [
      ...histogram(
        'askproai_webhook_processing_duration_seconds',
        { ...APP, provider: 'retell', event: 'call_ended' },
        WEBHOOK_BUCKETS,
        [
          [0.5, 5],
          [1, 5],
        ],
      ),
      ...histogram(
        'askproai_webhook_processing_duration_seconds',
        { ...APP, provider: 'retell', event: 'unknown' },
        WEBHOOK_BUCKETS,
        [[0.005, 1000]],
      ),
    ],
    activeAt: 1,
    forMinutes: 5,
    expected: [
      {
        exp_labels: { job: 'askproai', provider: 'retell', severity: 'warning', service: 'askproai' },
        exp_annotations: {
          summary: 'Webhook processing is slower than its SLA (p95).',
          description: 'retell webhooks take 0.95 s to process (p95, last 5m; threshold 0.5 s).',
          runbook_url: `${RUNBOOK}#askproaiwebhookprocessingslow`,
        },
      },
    ],
    below: histogram(
      'askproai_webhook_processing_duration_seconds',
      { ...APP, provider: 'retell', event: 'call_ended' },
      WEBHOOK_BUCKETS,
      [[0.25, 10]],
    ),
  },
  {
    alert: 'AskProAIDatabaseQueriesSlow',
    // Every query between 0.1 and 0.25 s: p95 = 0.1 + 0.95 × 0.15 = 0.2425 s.
    above: histogram(
      'askproai_database_query_duration_seconds',
      { ...APP, operation: 'select' },
      QUERY_BUCKETS,
      [[0.25, 10]],
    ),
    activeAt: 1,
    forMinutes: 10,
    expected: [
      {
        exp_labels: { job: 'askproai', severity: 'warning', service: 'askproai' },
        exp_annotations: {
          summary: 'Database queries are slower than their SLA (p95).',
          description: 'Database queries of askproai take 0.24 s (p95, last 5m; threshold 0.1 s).',
          runbook_url: `${RUNBOOK}#askproaidatabasequeriesslow`,
        },
      },
    ],
    below: histogram(
      'askproai_database_query_duration_seconds',
      { ...APP, operation: 'select' },
      QUERY_BUCKETS,
      [[0.05, 10]],
    ),
  },
  {
    alert: 'AskProAIDatabaseConnectionsHigh',
    // Two instances serve the same platform-wide gauges: max, not sum (90 of 100, not 180 of 200).
    above: [
      gauge('askproai_database_connections', APP, 90),
      gauge('askproai_database_connections', { ...APP, instance: 'app-2:3000' }, 90),
      gauge('askproai_database_max_connections', APP, 100),
      gauge('askproai_database_max_connections', { ...APP, instance: 'app-2:3000' }, 100),
    ],
    activeAt: 0,
    forMinutes: 5,
    expected: [
      {
        exp_labels: { job: 'askproai', severity: 'warning', service: 'askproai' },
        exp_annotations: {
          summary: 'The database is running out of connections.',
          description: "90% of the database's max_connections are in use (threshold 80%).",
          runbook_url: `${RUNBOOK}#askproaidatabaseconnectionshigh`,
        },
      },
    ],
    below: [
      gauge('askproai_database_connections', APP, 80),
      gauge('askproai_database_connections', { ...APP, instance: 'app-2:3000' }, 80),
      gauge('askproai_database_max_connections', APP, 100),
      gauge('askproai_database_max_connections', { ...APP, instance: 'app-2:3000' }, 100),
    ],
  },
  {
    alert: 'AskProAIQueueBacklog',
    above: [
      gauge('askproai_queue_size', { ...APP, queue: 'default' }, 1500),
      gauge('askproai_queue_size', { ...APP, instance: 'app-2:3000', queue: 'default' }, 1500),
    ],
    activeAt: 0,
    forMinutes: 10,
    expected: [
      {
        exp_labels: { job: 'askproai', queue: 'default', severity: 'warning', service: 'askproai' },
        exp_annotations: {
          summary: 'A queue has a large backlog of waiting jobs.',
          description: 'Queue default holds 1500 waiting jobs (threshold 1000).',
          runbook_url: `${RUNBOOK}#askproaiqueuebacklog`,
        },
      },
    ],
    // 600 per instance: summing the two instances would wrongly report 1200.
    below: [
      gauge('askproai_queue_size', { ...APP, queue: 'default' }, 600),
      gauge('askproai_queue_size', { ...APP, instance: 'app-2:3000', queue: 'default' }, 600),
    ],
  },
  {
    alert: 'AskProAIQueueJobTimeout',
    // One job per minute hits the time limit.
    above: [counter('askproai_queue_job_timeouts_total', { ...APP, queue: 'emails' }, 1)],
    activeAt: 1,
    forMinutes: 1,
    expected: [
      {
        exp_labels: { job: 'askproai', queue: 'emails', severity: 'critical', service: 'askproai' },
        exp_annotations: {
          summary: 'Queue jobs run longer than 30 s.',
          description: '2 jobs of queue emails ran past 30 s in the last 5m.',
          runbook_url: `${RUNBOOK}#askproaiqueuejobtimeout`,
        },
      },
    ],
    below: [
      counter('askproai_queue_job_timeouts_total', { ...APP, queue: 'emails' }, 0),
      ...histogram('askproai_queue_job_duration_seconds', { ...APP, queue: 'emails' }, JOB_BUCKETS, [
        [30, 4],
      ]),
    ],
  },
  {
    alert: 'AskProAIQueueJobTimeout',
    // No timeout counted, but the run-time histogram shows one job per minute over 30 s.
    above: histogram('askproai_queue_job_duration_seconds', { ...APP, queue: 'calls' }, JOB_BUCKETS, [
      [10, 3],
      [60, 1],
    ]),
    activeAt: 1,
    forMinutes: 1,
    expected: [
      {
        exp_labels: { job: 'askproai', queue: 'calls', severity: 'critical', service: 'askproai' },
        exp_annotations: {
          summary: 'Queue jobs run longer than 30 s.',
          description: '2 jobs of queue calls ran past 30 s in the last 5m.',
          runbook_url: `${RUNBOOK}#askproaiqueuejobtimeout`,
        },
      },
    ],
    below: histogram('askproai_queue_job_duration_seconds', { ...APP, queue: 'calls' }, JOB_BUCKETS, [
      [30, 4],
    ]),
  },
  {
    alert: 'AskProAICriticalErrors',
    // The series start at 0 (pre-created); one critical error after 3 minutes.
    above: [
      {
        series: `askproai_errors_total${fmt({ ...APP, type: 'webhook_claim_release_failed', severity: 'critical' })}`,
        values: '0x3 1x40',
      },
    ],
    activeAt: 4,
    forMinutes: 1,
    expected: [
      {
        exp_labels: {
          job: 'askproai',
          type: 'webhook_claim_release_failed',
          severity: 'critical',
          service: 'askproai',
        },
        exp_annotations: {
          summary: 'The service reported a critical error.',
          description:
            '1 critical errors of type webhook_claim_release_failed in the last 5m on askproai; the log lines (errorType) and the error tracker hold the details.',
          runbook_url: `${RUNBOOK}#askproaicriticalerrors`,
        },
      },
    ],
    // Errors of lower severity, and critical series that stay at 0, raise nothing.
    below: [
      counter('askproai_errors_total', { ...APP, type: 'webhook_failed', severity: 'error' }, 1),
      gauge(
        'askproai_errors_total',
        { ...APP, type: 'webhook_claim_release_failed', severity: 'critical' },
        0,
      ),
    ],
  },
  {
    alert: 'HostMemoryHigh',
    above: [
      gauge('node_memory_MemAvailable_bytes', { job: 'node', instance: 'host-1:9100' }, 10e9),
      gauge('node_memory_MemTotal_bytes', { job: 'node', instance: 'host-1:9100' }, 100e9),
    ],
    activeAt: 0,
    forMinutes: 10,
    expected: [
      {
        exp_labels: { job: 'node', instance: 'host-1:9100', severity: 'warning', service: 'host' },
        exp_annotations: {
          summary: 'Host memory is almost used up.',
          description: 'host-1:9100 uses 90.00% of its memory (threshold 85%).',
          runbook_url: `${RUNBOOK}#hostmemoryhigh`,
        },
      },
    ],
    below: [
      gauge('node_memory_MemAvailable_bytes', { job: 'node', instance: 'host-1:9100' }, 20e9),
      gauge('node_memory_MemTotal_bytes', { job: 'node', instance: 'host-1:9100' }, 100e9),
    ],
  },
  {
    alert: 'HostCpuHigh',
    // Idle 6 of every 60 s on each of two CPUs: 90% busy.
    above: [
      counter('node_cpu_seconds_total', { job: 'node', instance: 'host-1:9100', cpu: '0', mode: 'idle' }, 6),
      counter('node_cpu_seconds_total', { job: 'node', instance: 'host-1:9100', cpu: '1', mode: 'idle' }, 6),
    ],
    activeAt: 1,
    forMinutes: 15,
    expected: [
      {
        exp_labels: { instance: 'host-1:9100', severity: 'warning', service: 'host' },
        exp_annotations: {
          summary: 'Host CPU is busy most of the time.',
          description: 'host-1:9100 CPU is 90.00% busy over the last 5m (threshold 80%).',
          runbook_url: `${RUNBOOK}#hostcpuhigh`,
        },
      },
    ],
    below: [
      counter('node_cpu_seconds_total', { job: 'node', instance: 'host-1:9100', cpu: '0', mode: 'idle' }, 18),
      counter('node_cpu_seconds_total', { job: 'node', instance: 'host-1:9100', cpu: '1', mode: 'idle' }, 18),
    ],
  },
  {
    alert: 'HostDiskFull',
    above: [
      gauge(
        'node_filesystem_avail_bytes',
        { job: 'node', instance: 'host-1:9100', fstype: 'ext4', mountpoint: '/' },
        5e9,
      ),
      gauge(
        'node_filesystem_size_bytes',
        { job: 'node', instance: 'host-1:9100', fstype: 'ext4', mountpoint: '/' },
        100e9,
      ),
    ],
    activeAt: 0,
    forMinutes: 10,
    expected: [
      {
        exp_labels: {
          job: 'node',
          instance: 'host-1:9100',
          fstype: 'ext4',
          mountpoint: '/',
          severity: 'warning',
          service: 'host',
        },
        exp_annotations: {
          summary: 'A filesystem is almost full.',
          description: '/ on host-1:9100 is 95.00% full (threshold 90%).',
          runbook_url: `${RUNBOOK}#hostdiskfull`,
        },
      },
    ],
    below: [
      gauge(
        'node_filesystem_avail_bytes',
        { job: 'node', instance: 'host-1:9100', fstype: 'ext4', mountpoint: '/' },
        15e9,
      ),
      gauge(
        'node_filesystem_size_bytes',
        { job: 'node', instance: 'host-1:9100', fstype: 'ext4', mountpoint: '/' },
        100e9,
      ),
      // A full RAM disk is not a disk problem.
      gauge(
        'node_filesystem_avail_bytes',
        { job: 'node', instance: 'host-1:9100', fstype: 'tmpfs', mountpoint: '/dev/shm' },
        0,
      ),
      gauge(
        'node_filesystem_size_bytes',
        { job: 'node', instance: 'host-1:9100', fstype: 'tmpfs', mountpoint: '/dev/shm' },
        1e9,
      ),
    ],
  },
  {
    alert: 'TargetDown',
    above: [gauge('up', APP, 0), gauge('up', { job: 'redis', instance: 'redis-exporter:9121' }, 0)],
    activeAt: 0,
    forMinutes: 2,
    expected: [
      {
        exp_labels: { ...APP, severity: 'critical', service: 'askproai' },
        exp_annotations: {
          summary: 'Prometheus cannot scrape a target.',
          description:
            'askproai target app-1:3000 has been down for more than 2m: its metrics are missing and its alerts cannot fire.',
          runbook_url: `${RUNBOOK}#targetdown`,
        },
      },
      {
        exp_labels: { job: 'redis', instance: 'redis-exporter:9121', severity: 'warning', service: 'redis' },
        exp_annotations: {
          summary: 'Prometheus cannot scrape a target.',
          description:
            'redis target redis-exporter:9121 has been down for more than 2m: its metrics are missing and its alerts cannot fire.',
          runbook_url: `${RUNBOOK}#targetdown`,
        },
      },
    ],
    below: [gauge('up', APP, 1), gauge('up', { job: 'redis', instance: 'redis-exporter:9121' }, 1)],
  },
  {
    alert: 'AskProAIMetricsCollectionStale',
    // Last success at time 0: stale once more than 300 s have passed (from minute 6).
    above: [
      gauge('askproai_metrics_collection_last_success_timestamp_seconds', { ...APP, collector: 'queues' }, 0),
    ],
    activeAt: 6,
    forMinutes: 5,
    expected: [
      {
        exp_labels: { job: 'askproai', collector: 'queues', severity: 'warning', service: 'askproai' },
        exp_annotations: {
          summary: 'A scheduled metrics collector has stopped succeeding.',
          description:
            'Collector queues last succeeded 11m 0s ago (threshold 300 s); queue, database and tenant gauges are stale.',
          runbook_url: `${RUNBOOK}#askproaimetricscollectionstale`,
        },
      },
    ],
    // Succeeding every minute.
    below: [
      {
        series: `askproai_metrics_collection_last_success_timestamp_seconds${fmt({ ...APP, collector: 'queues' })}`,
        values: '0+60x40',
      },
    ],
  },
  {
    alert: 'PrometheusConfigReloadFailed',
    above: [
      gauge('prometheus_config_last_reload_successful', { job: 'prometheus', instance: 'localhost:9090' }, 0),
    ],
    activeAt: 0,
    forMinutes: 5,
    expected: [
      {
        exp_labels: {
          job: 'prometheus',
          instance: 'localhost:9090',
          severity: 'warning',
          service: 'prometheus',
        },
        exp_annotations: {
          summary: 'Prometheus could not reload its configuration.',
          description: 'localhost:9090 keeps running its previous configuration: the last reload failed.',
          runbook_url: `${RUNBOOK}#prometheusconfigreloadfailed`,
        },
      },
    ],
    below: [
      gauge('prometheus_config_last_reload_successful', { job: 'prometheus', instance: 'localhost:9090' }, 1),
    ],
  },
  {
    alert: 'AlertmanagerConfigReloadFailed',
    above: [
      gauge(
        'alertmanager_config_last_reload_successful',
        { job: 'alertmanager', instance: 'alertmanager:9093' },
        0,
      ),
    ],
    activeAt: 0,
    forMinutes: 5,
    expected: [
      {
        exp_labels: {
          job: 'alertmanager',
          instance: 'alertmanager:9093',
          severity: 'warning',
          service: 'alertmanager',
        },
        exp_annotations: {
          summary: 'Alertmanager could not reload its configuration.',
          description: 'alertmanager:9093 keeps running its previous configuration: the last reload failed.',
          runbook_url: `${RUNBOOK}#alertmanagerconfigreloadfailed`,
        },
      },
    ],
    below: [
      gauge(
        'alertmanager_config_last_reload_successful',
        { job: 'alertmanager', instance: 'alertmanager:9093' },
        1,
      ),
    ],
  },
  {
    alert: 'AskProAIWebhooksRejected',
    // Every Retell delivery to this instance fails the signature check (a secret wrong here or rotated
    // on one side only). The series do not exist before the first delivery: the service pre-creates
    // them at 0 on start.
    above: [
      {
        series: `askproai_webhooks_total${fmt({ ...APP, provider: 'retell', event: 'call_ended', status: 'rejected' })}`,
        values: '_x2 0+10x40',
      },
      {
        series: `askproai_webhooks_total${fmt({ ...APP, provider: 'retell', event: 'call_ended', status: 'processed' })}`,
        values: '_x2 0x40',
      },
      counter(
        'askproai_webhooks_total',
        { ...APP, provider: 'calcom', event: 'BOOKING_CREATED', status: 'processed' },
        10,
      ),
    ],
    activeAt: 3,
    forMinutes: 3,
    expected: [
      {
        exp_labels: { ...APP, provider: 'retell', severity: 'warning', service: 'askproai' },
        exp_annotations: {
          summary: 'Webhook deliveries are rejected and none is accepted (signature check fails).',
          description:
            'app-1:3000 rejected 40 retell deliveries in the last 5m and accepted none: the secret is probably wrong on this instance or was rotated on one side only (or unsigned requests arrive while the provider sends nothing).',
          runbook_url: `${RUNBOOK}#askproaiwebhooksrejected`,
        },
      },
    ],
    // A flood of unsigned requests (100 a minute) while the provider's signed deliveries keep being
    // accepted: nobody without the secret can raise it.
    below: [
      counter(
        'askproai_webhooks_total',
        { ...APP, provider: 'retell', event: 'unknown', status: 'rejected' },
        100,
      ),
      counter(
        'askproai_webhooks_total',
        { ...APP, provider: 'retell', event: 'call_ended', status: 'processed' },
        1,
      ),
    ],
  },
  {
    alert: 'AskProAIWebhooksFailing',
    // Most signed deliveries fail, while a flood of unsigned requests arrives: the flood does not
    // dilute the share.
    above: [
      counter(
        'askproai_webhooks_total',
        { ...APP, provider: 'calcom', event: 'BOOKING_CREATED', status: 'failed' },
        8,
      ),
      counter(
        'askproai_webhooks_total',
        { ...APP, provider: 'calcom', event: 'unknown', status: 'rejected' },
        1000,
      ),
      counter(
        'askproai_webhooks_total',
        { ...APP, provider: 'calcom', event: 'BOOKING_CREATED', status: 'processed' },
        2,
      ),
    ],
    activeAt: 1,
    forMinutes: 3,
    expected: [
      {
        exp_labels: { job: 'askproai', provider: 'calcom', severity: 'critical', service: 'askproai' },
        exp_annotations: {
          summary: 'A provider’s webhook deliveries fail to process.',
          description:
            '80% of the calcom deliveries that passed the signature check in the last 5m failed while being applied (threshold 50%).',
          runbook_url: `${RUNBOOK}#askproaiwebhooksfailing`,
        },
      },
    ],
    below: [
      counter(
        'askproai_webhooks_total',
        { ...APP, provider: 'calcom', event: 'BOOKING_CREATED', status: 'failed' },
        1,
      ),
      counter(
        'askproai_webhooks_total',
        { ...APP, provider: 'calcom', event: 'BOOKING_CREATED', status: 'processed' },
        9,
      ),
    ],
  },
  {
    alert: 'AskProAINoCalls',
    // The service is up and no call series exists at all (no call since the start).
    above: [gauge('up', APP, 1)],
    activeAt: 0,
    forMinutes: 5,
    expected: [
      {
        exp_labels: { severity: 'critical', service: 'askproai', active: 'business-hours' },
        exp_annotations: {
          summary: 'No calls during business hours.',
          description:
            "No calls were recorded in the last 30m while the service is up. Check the provider's dashboard and the webhook endpoint.",
          runbook_url: `${RUNBOOK}#askproainocalls`,
        },
      },
    ],
    below: [
      gauge('up', APP, 1),
      counter('askproai_calls_total', { ...APP, status: 'completed', company: 'cmp_1' }, 1),
    ],
  },
  {
    alert: 'AskProAINoBookings',
    // Bookings stopped: the counter is flat.
    above: [
      gauge('up', APP, 1),
      gauge('askproai_bookings_total', { ...APP, status: 'confirmed', source: 'phone' }, 12),
    ],
    activeAt: 0,
    forMinutes: 5,
    expected: [
      {
        exp_labels: { severity: 'critical', service: 'askproai', active: 'business-hours' },
        exp_annotations: {
          summary: 'No bookings during business hours.',
          description:
            "No bookings were recorded in the last 30m while the service is up. Check the provider's dashboard and the webhook endpoint.",
          runbook_url: `${RUNBOOK}#askproainobookings`,
        },
      },
    ],
    // The service is down: TargetDown speaks, not this alert.
    below: [
      gauge('up', APP, 0),
      gauge('askproai_bookings_total', { ...APP, status: 'confirmed', source: 'phone' }, 12),
    ],
  },
  {
    alert: 'AskProAICallsDropped',
    interval: '10m',
    // 100 calls a minute for a week and an hour, then 10 a minute (samples every 10 minutes): from 40
    // minutes into the second hour this hour has fewer than half of the same hour last week; with
    // evaluations every 10 minutes the 15m for: has passed 20 minutes later.
    above: [
      {
        series: `askproai_calls_total${fmt({ ...APP, status: 'completed', company: 'cmp_1' })}`,
        values: `0+1000x${(WEEK + 60) / 10} ${(WEEK + 60) * 100 + 100}+100x12`,
      },
    ],
    activeAt: WEEK + 60 + 40,
    forMinutes: 20,
    expected: [
      {
        exp_labels: { severity: 'warning', service: 'askproai' },
        exp_annotations: {
          summary: 'Far fewer calls than at the same hour last week.',
          description:
            '600 calls in the last 1h: less than 1/2 of the same hour last week (compared only when last week had at least 20).',
          runbook_url: `${RUNBOOK}#askproaicallsdropped`,
        },
      },
    ],
    // 60 a minute is less, but not below half of last week.
    below: [
      {
        series: `askproai_calls_total${fmt({ ...APP, status: 'completed', company: 'cmp_1' })}`,
        values: `0+1000x${(WEEK + 60) / 10} ${(WEEK + 60) * 100 + 600}+600x24`,
      },
    ],
  },
  {
    alert: 'AskProAIBookingsDropped',
    interval: '10m',
    above: [
      {
        series: `askproai_bookings_total${fmt({ ...APP, status: 'confirmed', source: 'phone' })}`,
        values: `0+1000x${(WEEK + 60) / 10} ${(WEEK + 60) * 100 + 100}+100x12`,
      },
    ],
    activeAt: WEEK + 60 + 40,
    forMinutes: 20,
    expected: [
      {
        exp_labels: { severity: 'warning', service: 'askproai' },
        exp_annotations: {
          summary: 'Far fewer bookings than at the same hour last week.',
          description:
            '600 bookings in the last 1h: less than 1/2 of the same hour last week (compared only when last week had at least 20).',
          runbook_url: `${RUNBOOK}#askproaibookingsdropped`,
        },
      },
    ],
    // Last week was too quiet to compare (15 in the hour): nothing, even though this week has none.
    below: [
      {
        series: `askproai_bookings_total${fmt({ ...APP, status: 'confirmed', source: 'phone' })}`,
        values: `0+2.5x${(WEEK + 60) / 10} ${(WEEK + 60) * 0.25}+0x24`,
      },
    ],
  },
  {
    alert: 'Watchdog',
    above: [],
    activeAt: 0,
    forMinutes: 0,
    expected: [
      {
        exp_labels: { severity: 'none', service: 'monitoring' },
        exp_annotations: {
          summary: 'The alerting pipeline is alive.',
          description:
            'This alert always fires. It is sent to the dead man’s switch; if the heartbeats stop arriving there, Prometheus or Alertmanager is down.',
          runbook_url: `${RUNBOOK}#watchdog`,
        },
      },
    ],
    below: null,
  },
  {
    alert: 'AlertmanagerNotificationsFailing',
    above: [
      counter('alertmanager_notifications_total', { ...AM, integration: 'slack' }, 10),
      counter('alertmanager_notifications_failed_total', { ...AM, integration: 'slack' }, 5),
      counter('alertmanager_notifications_total', { ...AM, integration: 'email' }, 10),
      counter('alertmanager_notifications_failed_total', { ...AM, integration: 'email' }, 0),
    ],
    activeAt: 1,
    forMinutes: 5,
    expected: [
      {
        exp_labels: { ...AM, integration: 'slack', severity: 'critical', service: 'alertmanager' },
        exp_annotations: {
          summary: 'Alertmanager fails to deliver notifications.',
          description:
            '50% of the slack notifications of alertmanager:9093 failed over the last 5m: alerts may not reach anyone through that channel.',
          runbook_url: `${RUNBOOK}#alertmanagernotificationsfailing`,
        },
      },
    ],
    below: [
      counter('alertmanager_notifications_total', { ...AM, integration: 'slack' }, 1000),
      counter('alertmanager_notifications_failed_total', { ...AM, integration: 'slack' }, 5),
    ],
  },
  {
    alert: 'PrometheusRuleEvaluationFailures',
    // Failing on every evaluation from minute 2; the series is born at 1 by the first failure.
    above: [
      {
        series: `prometheus_rule_evaluation_failures_total${fmt({ ...PROM, rule_group: RULE_GROUP })}`,
        values: '_x2 1+1x40',
      },
    ],
    activeAt: 2,
    forMinutes: 5,
    expected: [
      {
        exp_labels: { ...PROM, rule_group: RULE_GROUP, severity: 'critical', service: 'prometheus' },
        exp_annotations: {
          summary: 'Prometheus fails to evaluate rules.',
          description: `5 evaluations of rule group ${RULE_GROUP} failed in the last 5m: its alerts cannot fire and its recorded series have gaps.`,
          runbook_url: `${RUNBOOK}#prometheusruleevaluationfailures`,
        },
      },
    ],
    below: [counter('prometheus_rule_evaluation_failures_total', { ...PROM, rule_group: RULE_GROUP }, 0)],
  },
  {
    alert: 'AskProAIMetricsCollectorNeverSucceeded',
    // The database collector runs every minute and fails every time: no last-success series at all.
    above: [
      gauge('askproai_metrics_collection_duration_seconds', { ...APP, collector: 'database' }, 0.01),
      counter('askproai_metrics_collection_errors_total', { ...APP, collector: 'database' }, 1),
    ],
    activeAt: 1,
    forMinutes: 10,
    expected: [
      {
        exp_labels: { job: 'askproai', collector: 'database', severity: 'warning', service: 'askproai' },
        exp_annotations: {
          summary: 'A scheduled metrics collector has failed on every run since the service started.',
          description:
            'Collector database has run and failed on every run without a single success: its gauges have never had a value.',
          runbook_url: `${RUNBOOK}#askproaimetricscollectorneversucceeded`,
        },
      },
    ],
    // It failed, then succeeded once: the staleness alert covers it from there.
    below: [
      gauge('askproai_metrics_collection_duration_seconds', { ...APP, collector: 'database' }, 0.01),
      counter('askproai_metrics_collection_errors_total', { ...APP, collector: 'database' }, 1),
      gauge(
        'askproai_metrics_collection_last_success_timestamp_seconds',
        { ...APP, collector: 'database' },
        60,
      ),
    ],
  },
  {
    alert: 'AskProAIMetricsLabelOverflow',
    // The first two folded recordings create the series at 2: they count.
    above: [
      {
        series: `askproai_metrics_label_overflow_total${fmt({ ...APP, metric: 'askproai_calls_total' })}`,
        values: '_x3 2x40',
      },
    ],
    activeAt: 3,
    forMinutes: 0,
    expected: [
      {
        exp_labels: {
          job: 'askproai',
          metric: 'askproai_calls_total',
          severity: 'warning',
          service: 'askproai',
        },
        exp_annotations: {
          summary: 'A metric reached its label-set cap; new label sets fold into __overflow__.',
          description:
            '2 recordings of askproai_calls_total were folded into its __overflow__ series in the last 15m: a label took unexpected values (an id or URL?) or the cap is too small.',
          runbook_url: `${RUNBOOK}#askproaimetricslabeloverflow`,
        },
      },
    ],
    below: [gauge('askproai_metrics_label_overflow_total', { ...APP, metric: 'askproai_calls_total' }, 0)],
  },
  {
    alert: 'AskProAIQueueJobTimeout',
    // The queue's first timeout after a restart: the series is born at 1 and never grows.
    above: [
      { series: `askproai_queue_job_timeouts_total${fmt({ ...APP, queue: 'emails' })}`, values: '_x2 1x40' },
    ],
    activeAt: 2,
    forMinutes: 1,
    expected: [
      {
        exp_labels: { job: 'askproai', queue: 'emails', severity: 'critical', service: 'askproai' },
        exp_annotations: {
          summary: 'Queue jobs run longer than 30 s.',
          description: '1 jobs of queue emails ran past 30 s in the last 5m.',
          runbook_url: `${RUNBOOK}#askproaiqueuejobtimeout`,
        },
      },
    ],
    below: [gauge('askproai_queue_job_timeouts_total', { ...APP, queue: 'emails' }, 0)],
  },
  {
    alert: 'AskProAICriticalErrors',
    // A type the service did not pre-create: its first critical error creates the series at 1.
    above: [
      {
        series: `askproai_errors_total${fmt({ ...APP, type: 'payment_failed', severity: 'critical' })}`,
        values: '_x2 1x40',
      },
    ],
    activeAt: 2,
    forMinutes: 1,
    expected: [
      {
        exp_labels: { job: 'askproai', type: 'payment_failed', severity: 'critical', service: 'askproai' },
        exp_annotations: {
          summary: 'The service reported a critical error.',
          description:
            '1 critical errors of type payment_failed in the last 5m on askproai; the log lines (errorType) and the error tracker hold the details.',
          runbook_url: `${RUNBOOK}#askproaicriticalerrors`,
        },
      },
    ],
    below: [gauge('askproai_errors_total', { ...APP, type: 'payment_failed', severity: 'critical' }, 0)],
  },
  {
    alert: 'RedisDown',
    above: [gauge('redis_up', { job: 'redis', instance: 'redis-exporter:9121' }, 0)],
    activeAt: 0,
    forMinutes: 1,
    expected: [
      {
        exp_labels: { job: 'redis', instance: 'redis-exporter:9121', severity: 'critical', service: 'redis' },
        exp_annotations: {
          summary: 'Redis is down (its exporter cannot reach it).',
          description:
            "The redis exporter redis-exporter:9121 cannot connect to Redis: the service's queues, sessions or data are unavailable.",
          runbook_url: `${RUNBOOK}#redisdown`,
        },
      },
    ],
    below: [gauge('redis_up', { job: 'redis', instance: 'redis-exporter:9121' }, 1)],
  },
  {
    alert: 'MysqlDown',
    above: [gauge('mysql_up', { job: 'mysql', instance: 'mysqld-exporter:9104' }, 0)],
    activeAt: 0,
    forMinutes: 1,
    expected: [
      {
        exp_labels: {
          job: 'mysql',
          instance: 'mysqld-exporter:9104',
          severity: 'critical',
          service: 'mysql',
        },
        exp_annotations: {
          summary: 'MySQL/MariaDB is down (its exporter cannot reach it).',
          description:
            "The mysql exporter mysqld-exporter:9104 cannot connect to MySQL/MariaDB: the service's queues, sessions or data are unavailable.",
          runbook_url: `${RUNBOOK}#mysqldown`,
        },
      },
    ],
    below: [gauge('mysql_up', { job: 'mysql', instance: 'mysqld-exporter:9104' }, 1)],
  },
  ...remoteWriteCases,
];
