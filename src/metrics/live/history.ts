/**
 * The sampler: every `intervalMs` it reads the registry (see read.ts) into one ring sample, and the
 * per-route counts into a snapshot every `routeSnapshotMs`. Process memory and event-loop delay come
 * from Node itself (its own delay monitor), so sampling never resets what the next scrape reports.
 *
 * Memory bound, stated by `memoryBound()` and checked by the tests with 1,000 routes x methods x
 * statuses: the ring (`(1 + maxColumns) x capacity x 8` bytes plus names) and the route snapshots
 * (`slots x maxRoutes x (3 + buckets) x 8` bytes plus names). With the defaults (5 s over one hour,
 * 256 columns, 200 routes, HTTP families capped at 1,000 label sets) that is 2,122,696 bytes (2.0 MiB),
 * whatever the traffic.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { catalog } from '../catalog.ts';
import type { AnyFamily, CounterFamily, HistogramFamily } from '../core/family.ts';
import { LABEL_VALUE_MAX_LENGTH } from '../core/labels.ts';
import type { Registry } from '../core/registry.ts';
import type { MetricDef } from '../core/types.ts';
import { quantileOfCounts } from './quantile.ts';
import { KEY_SEP, sumBy, total } from './read.ts';
import { Ring } from './ring.ts';
import { RouteHistory } from './routes.ts';
import { type CompiledSlo, compileSlos, type LiveSlo, type SloStatus, sloStatus } from './slo.ts';

export interface HistoryOptions {
  /** Sampling interval. Default 5 s. */
  intervalMs?: number;
  /** How much history is kept. Default one hour. */
  windowMs?: number;
  /** How far back the route table looks (rate, error share, quantiles). Default 5 minutes. */
  routeWindowMs?: number;
  /** Route snapshot spacing. Default 30 s. */
  routeSnapshotMs?: number;
  /** Routes with their own row; the rest share one. Default 200. */
  maxRoutes?: number;
  /** Cap on ring columns (queues, webhook outcomes, ... each take one). Default 256. */
  maxColumns?: number;
  slos?: readonly LiveSlo[];
  /** Route p95 thresholds in seconds. Default the spec's API SLA: warning 0.2, critical 0.5. */
  thresholds?: { warning: number; critical: number };
  /** The SLO period the error budget is spread over. Default 30 days. */
  sloPeriodDays?: number;
  /** Clock (tests). */
  now?: () => number;
}

export const HISTORY_DEFAULTS = {
  intervalMs: 5_000,
  windowMs: 3_600_000,
  routeWindowMs: 300_000,
  routeSnapshotMs: 30_000,
  maxRoutes: 200,
  maxColumns: 256,
  sloPeriodDays: 30,
} as const;

/** Longest ring column name: a prefix and up to two label values. */
const MAX_COLUMN_NAME = 32 + 2 * LABEL_VALUE_MAX_LENGTH;
/** The chart's latency quantiles look back this far. */
const QUANTILE_LOOKBACK_MS = 60_000;

type Resolved = Required<Omit<HistoryOptions, 'slos' | 'now' | 'thresholds'>>;

function resolve(options: HistoryOptions): Resolved {
  const r = { ...HISTORY_DEFAULTS, ...stripUndefined(options) } as Resolved & HistoryOptions;
  for (const k of Object.keys(HISTORY_DEFAULTS) as (keyof typeof HISTORY_DEFAULTS)[]) {
    const v = r[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw new TypeError(`Live view option ${k} must be a positive number, got ${String(v)}`);
  }
  if (!Number.isInteger(r.maxRoutes) || r.maxRoutes < 2)
    throw new TypeError('Live view option maxRoutes must be a whole number >= 2');
  if (!Number.isInteger(r.maxColumns))
    throw new TypeError('Live view option maxColumns must be a whole number');
  if (r.windowMs < r.intervalMs) throw new TypeError('Live view option windowMs must be at least intervalMs');
  return r;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** What one cached HTTP label set costs the route table (a Map entry: shared key, small integer). */
const BYTES_PER_HTTP_SERIES = 64;

/**
 * The stated memory bound of a history with these options, in bytes: `buckets` is the HTTP duration
 * histogram's bound count and `httpSeries` the most series the two HTTP families may hold (their caps).
 */
export function memoryBound(options: HistoryOptions = {}, buckets = 13, httpSeries = 1001): number {
  const r = resolve(options);
  const capacity = Math.ceil(r.windowMs / r.intervalMs) + 1;
  return (
    httpSeries * BYTES_PER_HTTP_SERIES +
    Ring.bound({ capacity, maxColumns: r.maxColumns, maxNameLength: MAX_COLUMN_NAME }) +
    RouteHistory.bound(
      {
        maxRoutes: r.maxRoutes,
        windowMs: r.routeWindowMs,
        snapshotEveryMs: r.routeSnapshotMs,
        maxNameLength: LABEL_VALUE_MAX_LENGTH,
      },
      buckets,
    )
  );
}

export interface ChartSeries {
  col: string;
  label: string;
  /** Drawn in red: errors, rejected or failed deliveries. */
  bad?: boolean;
}

const BAD_OUTCOME = /(?:^| )(?:rejected|failed|invalid|unknown_tenant)$/;

export interface ChartDef {
  id: string;
  title: string;
  unit: string;
  series: ChartSeries[];
  /** Horizontal lines (SLA thresholds), in the chart's unit. */
  lines?: { label: string; value: number; level: 'warning' | 'critical' }[];
}

export interface ChartData {
  /** Sample times, unix seconds. */
  t: number[];
  cols: Record<string, (number | null)[]>;
  /** Unix ms of the newest sample: the page asks for points after it next time. */
  lastSampleAt: number;
}

const round = (v: number): number | null =>
  Number.isFinite(v) ? (Math.abs(v) >= 100 ? Math.round(v * 10) / 10 : Number(v.toPrecision(4))) : null;

export class LiveHistory {
  readonly options: Resolved;
  readonly ring: Ring;
  readonly routes: RouteHistory;
  readonly slos: CompiledSlo[];
  readonly now: () => number;
  readonly startedAt: number;
  private readonly f: Record<string, AnyFamily>;
  private readonly httpDurations: HistogramFamily;
  private readonly requests: CounterFamily;
  /** p95 lines on the latency chart and the route table's highlighting, in seconds. */
  readonly thresholds: { warning: number; critical: number };
  private delay: IntervalHistogram | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Sampling failures (reported once each by the caller); sampling goes on. */
  failures = 0;

  constructor(registry: Registry, options: HistoryOptions = {}) {
    this.options = resolve(options);
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    const o = this.options;
    this.ring = new Ring({
      capacity: Math.ceil(o.windowMs / o.intervalMs) + 1,
      maxColumns: o.maxColumns,
      maxNameLength: MAX_COLUMN_NAME,
    });
    this.routes = new RouteHistory(
      registry,
      {
        maxRoutes: o.maxRoutes,
        windowMs: o.routeWindowMs,
        snapshotEveryMs: o.routeSnapshotMs,
        maxNameLength: LABEL_VALUE_MAX_LENGTH,
      },
      this.startedAt,
    );
    this.slos = compileSlos(registry, options.slos ?? []);
    const fam = (d: MetricDef) => registry.of(d);
    this.f = {
      webhooks: fam(catalog.webhooksTotal),
      calls: fam(catalog.callsTotal),
      bookings: fam(catalog.bookingsTotal),
      tenants: fam(catalog.activeTenants),
      queueSize: fam(catalog.queueSize),
      jobs: fam(catalog.queueJobsProcessed),
      timeouts: fam(catalog.queueJobTimeouts),
      dbConnections: fam(catalog.databaseConnections),
      dbMax: fam(catalog.databaseMaxConnections),
      slow: fam(catalog.databaseSlowQueries),
      errors: fam(catalog.errorsTotal),
      overflow: fam(catalog.metricsLabelOverflow),
      dropped: fam(catalog.metricsDroppedLabels),
    };
    this.httpDurations = registry.histogram(catalog.httpRequestDuration);
    this.requests = registry.counter(catalog.httpRequestsTotal);
    this.thresholds = options.thresholds ?? { warning: 0.2, critical: 0.5 };
  }

  /** Bytes the history holds now. */
  bytes(): number {
    return this.ring.bytes() + this.routes.bytes();
  }

  memoryBound(): number {
    const httpSeries = Math.max(this.requests.maxSeries, this.httpDurations.maxSeries) + 1;
    return memoryBound(this.options, this.httpDurations.bounds.length, httpSeries);
  }

  /** Samples now and then every interval (the timer does not keep the process alive). */
  start(onError?: (err: Error) => void): void {
    if (this.timer !== undefined) return;
    try {
      this.delay = monitorEventLoopDelay({ resolution: 10 });
      this.delay.enable();
    } catch {
      this.delay = undefined;
    }
    const tick = () => {
      try {
        this.sample();
      } catch (err) {
        this.failures++;
        onError?.(err as Error);
      }
    };
    tick();
    this.timer = setInterval(tick, this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.delay?.disable();
    this.delay = undefined;
  }

  /** Takes one sample (the timer calls this; tests call it with their own clock). */
  sample(time = this.now()): void {
    this.routes.maybeSnapshot(time);
    const cols = this.readColumns();
    this.delayColumns(cols);
    this.ring.push(time, cols);
  }

  /** The values one sample stores, by column name (also the "now" the page compares against). */
  readColumns(): Map<string, number> {
    const f = this.f;
    const cols = new Map<string, number>();
    const put = (prefix: string, m: Map<string, number>) => {
      for (const [k, v] of m) cols.set(`${prefix}.${k}`, v);
    };
    const http = this.routes.totals();
    cols.set('http.requests', http.requests);
    cols.set('http.5xx', http.serverErrors);
    for (let k = 0; k < http.buckets.length; k++) cols.set(`http.b${k}`, http.buckets[k]!);
    for (const [k, v] of sumBy(f.webhooks!, ['provider', 'status']))
      cols.set(`wh.${k.replace(KEY_SEP, ' ')}`, v);
    put('calls', sumBy(f.calls!, ['status']));
    put('bookings', sumBy(f.bookings!, ['status']));
    cols.set('tenants', gaugeOrNaN(f.tenants!));
    put('queue', sumBy(f.queueSize!, ['queue']));
    put('jobs', sumBy(f.jobs!, ['status']));
    cols.set('jobs.timeouts', total(f.timeouts!));
    cols.set('db.connections', gaugeOrNaN(f.dbConnections!));
    cols.set('db.max', gaugeOrNaN(f.dbMax!));
    cols.set('db.slow', total(f.slow!));
    put('errors', sumBy(f.errors!, ['severity']));
    cols.set('guard.overflow', total(f.overflow!));
    cols.set('guard.dropped', total(f.dropped!));
    const mem = process.memoryUsage();
    cols.set('rt.rss', mem.rss);
    cols.set('rt.heap', mem.heapUsed);
    this.slos.forEach((s, i) => {
      cols.set(`slo.${i}.good`, s.good.read());
      cols.set(`slo.${i}.total`, s.total.read());
    });
    return cols;
  }

  private delayColumns(cols: Map<string, number>): void {
    const d = this.delay;
    if (d === undefined || d.count === 0) return;
    // The monitor records timer intervals, which include its 10 ms resolution.
    cols.set('rt.lagP99', Math.max(0, d.percentile(99) / 1e9 - 0.01));
    cols.set('rt.lagMean', Math.max(0, d.mean / 1e9 - 0.01));
    d.reset();
  }

  /**
   * The increase of a cumulative column from the oldest sample within the window to `current`; with
   * no sample in the window yet, since the history started (null when the column is new).
   */
  increase(col: string, current: number, now = this.now()): { value: number; seconds: number } {
    const k = this.ring.firstAtOrAfter(now - this.options.windowMs);
    if (k >= this.ring.size) return { value: 0, seconds: 0 };
    const base = this.ring.value(col, k);
    return { value: current - (Number.isNaN(base) ? 0 : base), seconds: (now - this.ring.time(k)) / 1000 };
  }

  /** Each SLO over the window, from the ring and the current counts. */
  sloStatuses(current: Map<string, number>, now = this.now()): SloStatus[] {
    const period = this.options.sloPeriodDays * 86_400;
    return this.slos.map((s, i) => {
      const good = this.increase(`slo.${i}.good`, current.get(`slo.${i}.good`) ?? 0, now);
      const all = this.increase(`slo.${i}.total`, current.get(`slo.${i}.total`) ?? 0, now);
      return sloStatus(s.slo, good.value, all.value, all.seconds, period);
    });
  }

  /** The charts, with the series the history holds now. */
  charts(): ChartDef[] {
    const names = [...this.ring.columnNames()];
    const dynamic = (prefix: string, chartPrefix: string) =>
      names
        .filter((n) => n.startsWith(`${prefix}.`))
        .map((n) => {
          const label = n.slice(prefix.length + 1);
          return { col: `${chartPrefix}.${label}`, label, bad: BAD_OUTCOME.test(label) };
        });
    return [
      {
        id: 'requests',
        title: 'Requests per second',
        unit: 'req/s',
        series: [
          { col: 'req_rate', label: 'all' },
          { col: 'err_rate', label: '5xx', bad: true },
        ],
      },
      {
        id: 'latency',
        title: 'Response time (all routes, last minute)',
        unit: 'ms',
        series: [
          { col: 'p50', label: 'p50' },
          { col: 'p95', label: 'p95' },
          { col: 'p99', label: 'p99' },
        ],
        lines: [
          { label: 'p95 warning', value: this.thresholds.warning * 1000, level: 'warning' },
          { label: 'p95 critical', value: this.thresholds.critical * 1000, level: 'critical' },
        ],
      },
      {
        id: 'webhooks',
        title: 'Webhooks per minute by provider and outcome',
        unit: '/min',
        series: dynamic('wh', 'whm'),
      },
      {
        id: 'business',
        title: 'Calls and bookings per minute',
        unit: '/min',
        series: [
          { col: 'calls_pm', label: 'calls' },
          { col: 'bookings_pm', label: 'bookings' },
        ],
      },
      { id: 'queues', title: 'Queue sizes', unit: 'jobs', series: dynamic('queue', 'queue') },
      {
        id: 'database',
        title: 'Database connections',
        unit: 'connections',
        series: [
          { col: 'db.connections', label: 'open' },
          { col: 'db.max', label: 'max_connections' },
        ],
      },
      {
        id: 'eventloop',
        title: 'Event-loop delay',
        unit: 'ms',
        series: [
          { col: 'lag_p99', label: 'p99' },
          { col: 'lag_mean', label: 'mean' },
        ],
      },
      {
        id: 'memory',
        title: 'Memory',
        unit: 'MB',
        series: [
          { col: 'rss', label: 'resident' },
          { col: 'heap', label: 'heap used' },
        ],
      },
    ];
  }

  /** The chart series at every sample newer than `since` (unix ms); values derived from the ring. */
  chartData(charts: ChartDef[], since = 0): ChartData {
    const ring = this.ring;
    const from = ring.firstAtOrAfter(since + 1);
    const t: number[] = [];
    const cols: Record<string, (number | null)[]> = {};
    const wanted = charts.flatMap((c) => c.series.map((s) => s.col));
    for (const c of wanted) cols[c] = [];
    const nb = this.httpDurations.bounds.length + 1;
    const bounds = this.httpDurations.bounds;
    const deltas = new Float64Array(nb);
    for (let k = from; k < ring.size; k++) {
      const time = ring.time(k);
      t.push(Math.round(time / 100) / 10);
      const prev = k > 0 ? k - 1 : -1;
      const dt = prev >= 0 ? (time - ring.time(prev)) / 1000 : 0;
      const rate = (col: string, per = 1): number | null => {
        if (prev < 0 || dt <= 0) return null;
        const d = ring.value(col, k) - (Number.isNaN(ring.value(col, prev)) ? 0 : ring.value(col, prev));
        return Number.isNaN(d) ? null : round(Math.max(0, d / dt) * per);
      };
      const sumRate = (prefix: string, per: number): number | null => {
        let any = false;
        let acc = 0;
        for (const n of ring.columnNames()) {
          if (!n.startsWith(prefix)) continue;
          const r = rate(n, per);
          if (r !== null) {
            any = true;
            acc += r;
          }
        }
        return any ? round(acc) : prev < 0 ? null : 0;
      };
      const back = Math.min(k, Math.max(1, Math.round(QUANTILE_LOOKBACK_MS / this.options.intervalMs)));
      const base = k - back;
      let observed = 0;
      for (let i = 0; i < nb; i++) {
        const cur = ring.value(`http.b${i}`, k);
        const old = ring.value(`http.b${i}`, base);
        deltas[i] = Math.max(0, (Number.isNaN(cur) ? 0 : cur) - (Number.isNaN(old) ? 0 : old));
        observed += deltas[i]!;
      }
      const q = (p: number) =>
        back > 0 && observed > 0 ? round(quantileOfCounts(p, bounds, deltas) * 1000) : null;
      const derived: Record<string, () => number | null> = {
        req_rate: () => rate('http.requests'),
        err_rate: () => rate('http.5xx'),
        p50: () => q(0.5),
        p95: () => q(0.95),
        p99: () => q(0.99),
        calls_pm: () => sumRate('calls.', 60),
        bookings_pm: () => sumRate('bookings.', 60),
        lag_p99: () => round(ring.value('rt.lagP99', k) * 1000),
        lag_mean: () => round(ring.value('rt.lagMean', k) * 1000),
        rss: () => round(ring.value('rt.rss', k) / 1048576),
        heap: () => round(ring.value('rt.heap', k) / 1048576),
      };
      for (const c of wanted) {
        let v: number | null;
        const fn = derived[c];
        if (fn !== undefined) v = fn();
        else if (c.startsWith('whm.')) v = rate(`wh.${c.slice(4)}`, 60);
        else v = round(ring.value(c, k));
        cols[c]!.push(v);
      }
    }
    return { t, cols, lastSampleAt: ring.size > 0 ? ring.time(ring.size - 1) : 0 };
  }
}

function gaugeOrNaN(family: AnyFamily): number {
  return family.series.size === 0 ? Number.NaN : total(family);
}
