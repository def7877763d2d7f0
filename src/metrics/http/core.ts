/**
 * The framework-free core of the HTTP middleware. Adapters resolve the matched route template and
 * call `RouteMetrics.record()` once per finished request.
 *
 * Labels: `method` is the upper-case verb (non-standard verbs are `OTHER`), `endpoint` the route
 * template (`/api/bookings/:id`, never the raw URL; requests that match no route share
 * `unmatched`), `status` the numeric code (`499` for requests the client aborted before the
 * response was finished, nginx's convention for "client closed request"; those are counted in
 * `http_requests_total` only, as they have no response time).
 *
 * A route's handle is resolved once per template and caches its (method, status) cells, so a
 * request costs two small map lookups and two increments.
 *
 * Stalled handlers: a handler that never answers (a promise that never settles) leaves only 499s
 * once every client gives up, and 499s are no server error. So an aborted request whose response
 * has sent no header yet is remembered (`UnansweredRequests`), and before each scrape the ones the
 * handler has still not answered `unansweredAfterMs` after the abort are counted per route in
 * `http_requests_unanswered`. Aborting cannot forge it: a request counts only while the service's
 * own handler has not answered, whatever the client did. Finished requests never touch the list.
 */
import type { ServerResponse } from 'node:http';
import { catalog } from '../catalog.ts';
import type {
  CounterFamily,
  CounterSeries,
  GaugeFamily,
  HistogramFamily,
  HistogramSeries,
} from '../core/family.ts';
import type { Registry } from '../core/registry.ts';
import { DEFAULT_EXCLUDED_PATHS, DEFAULTS } from '../defaults.ts';

export const UNMATCHED_ROUTE = 'unmatched';
export const ABORTED_STATUS = 499;
export const OTHER_METHOD = 'OTHER';
const STANDARD_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];

/** The `method` label: the upper-case standard verb, or OTHER. */
function normalizeMethod(method: unknown): string {
  const upper = typeof method === 'string' ? method.toUpperCase() : '';
  return STANDARD_METHODS.includes(upper) ? upper : OTHER_METHOD;
}

export interface HttpMetricsOptions {
  /**
   * False makes every adapter a pass-through that installs no hook and records nothing
   * (METRICS_ENABLED=false). Default true.
   */
  enabled?: boolean;
  /**
   * Route templates (or paths, for requests that match no route) that are not recorded: the
   * metrics endpoint and health checks. Default `['/api/metrics', '/api/health']`.
   */
  excludePaths?: readonly string[];
  /**
   * Record requests the client aborted, with status 499. Default true. (Aborted requests are watched
   * for `http_requests_unanswered` either way.)
   */
  recordAborted?: boolean;
  /**
   * An aborted request whose handler has sent no response header this long after the abort counts
   * in `http_requests_unanswered`. Default 30 s (`DEFAULTS.httpUnansweredAfterMs`).
   */
  unansweredAfterMs?: number;
  /**
   * Cap on aborted requests watched for an answer (default 1,000). The first `HttpMetrics` of a
   * registry sets it: all of them share one list and one collect hook.
   */
  maxUnanswered?: number;
  /**
   * The trace id of the request being handled (the active Sentry/OpenTelemetry span), or
   * undefined. When set, request durations carry it as an OpenMetrics exemplar; when not, the
   * adapters never look for one (their per-request path is chosen when they are created).
   */
  traceId?: () => string | undefined;
}

export { DEFAULT_EXCLUDED_PATHS };

interface Cells {
  method: string;
  status: number;
  count: CounterSeries;
  /** Created on the first observation, so aborted-only cells expose no empty histogram. */
  duration: HistogramSeries | undefined;
}

/** The recorder for one route template; `record` is the per-request hot path. */
export class RouteMetrics {
  readonly template: string;
  private readonly byMethod = new Map<string, Map<number, Cells>>();
  private readonly requests: CounterFamily;
  private readonly durations: HistogramFamily;

  constructor(template: string, requests: CounterFamily, durations: HistogramFamily) {
    this.template = template;
    this.requests = requests;
    this.durations = durations;
  }

  /** Records one finished request; `seconds` from a monotonic clock. */
  record(method: string, status: number, seconds: number): void {
    const byStatus = this.byMethod.get(method) ?? this.methodCells(method);
    const cells = byStatus.get(status) ?? this.statusCells(byStatus, method, status);
    cells.count.value++;
    (cells.duration ?? this.durationCell(cells)).observe(seconds);
  }

  /** Like `record`, keeping `traceId` as the duration bucket's exemplar (see observeTraced). */
  recordTraced(method: string, status: number, seconds: number, traceId: string | undefined): void {
    const byStatus = this.byMethod.get(method) ?? this.methodCells(method);
    const cells = byStatus.get(status) ?? this.statusCells(byStatus, method, status);
    cells.count.value++;
    (cells.duration ?? this.durationCell(cells)).observeTraced(seconds, traceId, Date.now());
  }

  /**
   * Counts a request the client aborted before the response finished, as status 499. It has no
   * response time, so the duration histogram is left alone (every adapter does the same).
   */
  recordAborted(method: string): void {
    const byStatus = this.byMethod.get(method) ?? this.methodCells(method);
    const cells = byStatus.get(ABORTED_STATUS) ?? this.statusCells(byStatus, method, ABORTED_STATUS);
    cells.count.value++;
  }

  private methodCells(method: string): Map<number, Cells> {
    const normalized = normalizeMethod(method);
    // Only standard spellings get their own cache entry; anything else shares OTHER's.
    let cells = this.byMethod.get(normalized);
    if (cells === undefined) {
      cells = new Map();
      this.byMethod.set(normalized, cells);
    }
    if (normalized === method) return cells;
    if (normalized !== OTHER_METHOD && this.byMethod.size < 32) this.byMethod.set(method, cells);
    return cells;
  }

  private statusCells(byStatus: Map<number, Cells>, method: string, status: number): Cells {
    const code = Number.isInteger(status) && status >= 100 && status <= 599 ? status : 0;
    const m = normalizeMethod(method);
    const cells: Cells = {
      method: m,
      status: code,
      count: this.requests.with3(m, this.template, code),
      duration: undefined,
    };
    if (code === status) byStatus.set(status, cells);
    return cells;
  }

  private durationCell(cells: Cells): HistogramSeries {
    cells.duration = this.durations.with3(cells.method, this.template, cells.status);
    return cells.duration;
  }
}

/** An aborted request whose response had sent no header, watched until its handler answers. */
interface Watched {
  endpoint: string;
  res: ServerResponse;
  /** `performance.now()` from which on it counts as unanswered. */
  due: number;
}

/**
 * The aborted, not yet answered requests of one registry, and the `http_requests_unanswered` gauge
 * they set before each scrape. Adding costs one small object and an array push; the list is swept
 * at each scrape (answered requests dropped, the rest counted), so it holds at most a scrape
 * interval of aborts plus the requests that are really stuck.
 *
 * When it is full, answered requests are dropped first; if it is still full of unanswered ones, new
 * aborts are not watched until the next sweep (the oldest stay: they are the ones that prove a
 * stall). So a flood of aborts to handlers that answer cannot push stuck requests out, a full list
 * is compacted at most once per scrape, and the gauge reads at most the cap.
 */
export class UnansweredRequests {
  private entries: Watched[] = [];
  /** Full of unanswered requests after a compaction: refuse without compacting until the next sweep. */
  private full = false;
  private readonly cap: number;
  private readonly gauge: GaugeFamily;

  constructor(registry: Registry, cap: number) {
    this.cap = Math.max(1, Math.floor(cap));
    this.gauge = registry.gauge(catalog.httpRequestsUnanswered);
    registry.onCollect('http_unanswered', () => this.sweep(performance.now()));
  }

  /** How many requests are watched (tests). */
  get size(): number {
    return this.entries.length;
  }

  add(endpoint: string, res: ServerResponse, due: number): void {
    if (this.entries.length >= this.cap) {
      if (this.full) return;
      this.compact();
      if (this.entries.length >= this.cap) {
        this.full = true;
        return;
      }
    }
    this.entries.push({ endpoint, res, due });
  }

  /** Drops the answered requests and sets the gauge to the unanswered ones past their due time. */
  sweep(now: number): void {
    this.compact();
    this.full = false;
    const counts = new Map<string, number>();
    for (const e of this.entries) if (e.due <= now) counts.set(e.endpoint, (counts.get(e.endpoint) ?? 0) + 1);
    // Series of endpoints that recovered read 0 (a series that vanished would look like a gap).
    for (const s of this.gauge.series.values()) s.set(0);
    for (const [endpoint, n] of counts) this.gauge.with1(endpoint).set(n);
  }

  /** Keeps the requests whose handler has not answered yet (no header sent, `end()` not called). */
  private compact(): void {
    let kept = 0;
    for (const e of this.entries) if (!e.res.headersSent && !e.res.writableEnded) this.entries[kept++] = e;
    this.entries.length = kept;
  }
}

const unansweredByRegistry = new WeakMap<Registry, UnansweredRequests>();

/** Shared by all adapters of one app: the route handles and the exclusion list. */
export class HttpMetrics {
  /** Adapters read this once, when they are created: false means they install nothing. */
  readonly enabled: boolean;
  readonly recordAborted: boolean;
  readonly traceId: (() => string | undefined) | undefined;
  /** The aborted requests watched for an answer (shared by every HttpMetrics of the registry). */
  readonly unanswered: UnansweredRequests;
  private readonly unansweredAfterMs: number;
  private readonly routes = new Map<string, RouteMetrics | null>();
  private readonly excluded: Set<string>;
  private readonly requests: CounterFamily;
  private readonly durations: HistogramFamily;

  constructor(registry: Registry, options: HttpMetricsOptions = {}) {
    this.enabled = options.enabled ?? true;
    this.excluded = new Set(options.excludePaths ?? DEFAULT_EXCLUDED_PATHS);
    this.recordAborted = options.recordAborted ?? true;
    this.traceId = options.traceId;
    this.requests = registry.counter(catalog.httpRequestsTotal);
    this.durations = registry.histogram(catalog.httpRequestDuration);
    this.unansweredAfterMs = options.unansweredAfterMs ?? DEFAULTS.httpUnansweredAfterMs;
    let unanswered = unansweredByRegistry.get(registry);
    if (unanswered === undefined) {
      unanswered = new UnansweredRequests(registry, options.maxUnanswered ?? DEFAULTS.httpMaxUnanswered);
      unansweredByRegistry.set(registry, unanswered);
    }
    this.unanswered = unanswered;
  }

  /**
   * Records a request the client aborted before its response finished (adapters call it from the
   * response's `close` listener): a 499 unless `recordAborted` is off, and, when the handler has not
   * started answering (no header sent), a watch for `http_requests_unanswered`.
   */
  aborted(handle: RouteMetrics, method: string, res: ServerResponse): void {
    if (this.recordAborted) handle.recordAborted(method);
    if (!res.headersSent && !res.writableEnded)
      this.unanswered.add(handle.template, res, performance.now() + this.unansweredAfterMs);
  }

  /** The handle of a route template, or null when the template is excluded. */
  route(template: string): RouteMetrics | null {
    let handle = this.routes.get(template);
    if (handle === undefined) {
      handle = this.excluded.has(template) ? null : new RouteMetrics(template, this.requests, this.durations);
      // Templates come from the app's route table, but stay bounded even if an adapter misbehaves.
      if (this.routes.size < 10_000) this.routes.set(template, handle);
    }
    return handle;
  }

  /**
   * Stops recording a route template (or an unmatched path), e.g. the live view's own pages. Call it
   * before the route is registered or first requested; a handle already handed out keeps recording.
   */
  exclude(template: string): void {
    this.excluded.add(template);
    this.routes.set(template, null);
  }

  /** The shared handle for requests that matched no route. */
  unmatched(): RouteMetrics {
    return this.route(UNMATCHED_ROUTE)!;
  }

  /** True for unmatched request paths that are excluded (query string ignored). */
  isExcludedPath(url: string): boolean {
    const q = url.indexOf('?');
    return this.excluded.has(q === -1 ? url : url.slice(0, q));
  }
}
