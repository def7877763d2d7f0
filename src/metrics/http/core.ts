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
 */
import { catalog } from '../catalog.ts';
import type { CounterFamily, CounterSeries, HistogramFamily, HistogramSeries } from '../core/family.ts';
import type { Registry } from '../core/registry.ts';
import { DEFAULT_EXCLUDED_PATHS } from '../defaults.ts';

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
  /** Record requests the client aborted, with status 499. Default true. */
  recordAborted?: boolean;
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

/** Shared by all adapters of one app: the route handles and the exclusion list. */
export class HttpMetrics {
  /** Adapters read this once, when they are created: false means they install nothing. */
  readonly enabled: boolean;
  readonly recordAborted: boolean;
  readonly traceId: (() => string | undefined) | undefined;
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
