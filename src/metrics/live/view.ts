/**
 * The live view as a framework-free handler: the page, its data (JSON, polled by the page every
 * sampling interval) and its static files under one path. Adapters for Fastify, Express and node:http
 * (src/metrics/http/live-*.ts) mount it; `handle()` decides everything, so they stay thin.
 *
 * Access is exactly /api/metrics's bearer token, or whatever `authorize(request)` the host app says
 * (its admin session). Without either: 401, or for a browser a redirect to `loginRedirect`. The static
 * files (uPlot and the page's script, public code) are served without credentials so the 401 page can
 * be styled; the page and its data never are.
 */
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { createTokenVerifier } from '../auth.ts';
import { catalog } from '../catalog.ts';
import type { Registry } from '../core/registry.ts';
import { WarningCodes, warnOnce } from '../core/warnings.ts';
import type { HttpMetrics } from '../http/core.ts';
import { type AlertsSource, type AlertsState, alertmanagerSource, NO_ALERTS } from './alerts.ts';
import { type Asset, loadAssets } from './assets.ts';
import { type ChartData, type ChartDef, type HistoryOptions, LiveHistory } from './history.ts';
import { quantileOfCounts } from './quantile.ts';
import { KEY_SEP, sumBy } from './read.ts';
import type { SloStatus } from './slo.ts';

const gzip = promisify(gzipCb);

export interface LiveViewOptions extends HistoryOptions {
  registry: Registry;
  /** The /api/metrics bearer tokens (METRICS_AUTH_TOKEN); several allow rotation. */
  tokens: readonly string[];
  /** False answers 404 everywhere and samples nothing (METRICS_ENABLED=false). Default true. */
  enabled?: boolean;
  /** Where the view lives. Default `/monitoring`. */
  path?: string;
  /**
   * Lets the host app grant access (its admin session): receives the framework's request object
   * (FastifyRequest, Express Request or IncomingMessage). A throw counts as "no".
   */
  authorize?: (request: unknown) => boolean | Promise<boolean>;
  /** A browser without credentials is sent here (with `?next=<view path>`) instead of a 401 page. */
  loginRedirect?: string;
  /** The app's HTTP metrics: the view's own requests are excluded from them. */
  http?: HttpMetrics;
  /** Show the alerts firing now (ALERTMANAGER_URL). */
  alertmanagerUrl?: string;
  /** Default 2 s. */
  alertmanagerTimeoutMs?: number;
  /** The page title. Default `Live view`. */
  title?: string;
}

export interface LiveRequest {
  method?: string | undefined;
  url?: string | undefined;
  headers: Record<string, string | string[] | undefined>;
}

export interface LiveResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

export interface RouteStat {
  route: string;
  /** Since start: equal to the sum of askproai_http_requests_total for the route. */
  requests: number;
  /** Over the route window (`routeWindowSeconds`). */
  rate: number;
  errorShare: number | null;
  clientErrorShare: number | null;
  /** Seconds, estimated from the window's buckets like histogram_quantile. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  level: 'ok' | 'warning' | 'critical';
}

export interface CountRow {
  total: number;
  lastHour: number;
}

export interface LiveData {
  title: string;
  generatedAt: number;
  intervalMs: number;
  windowSeconds: number;
  routeWindowSeconds: number;
  thresholds: { warning: number; critical: number };
  memory: { boundBytes: number; usedBytes: number };
  charts: ChartDef[];
  points: ChartData;
  routes: RouteStat[];
  business: {
    calls: (CountRow & { status: string })[];
    bookings: (CountRow & { status: string; today: number | null })[];
    webhooks: (CountRow & { provider: string; status: string; level: 'ok' | 'bad' })[];
    activeTenants: number | null;
    bookingsToday: number | null;
  };
  system: {
    queues: { queue: string; size: number | null; states: Record<string, number> }[];
    jobs: (CountRow & { status: string })[];
    jobTimeouts: CountRow;
    database: {
      connections: number | null;
      max: number | null;
      pool: Record<string, number>;
      slowQueries: CountRow;
    };
    collectors: {
      collector: string;
      lastSuccess: number | null;
      errors: number;
      durationSeconds: number | null;
    }[];
    guard: {
      overflow: { metric: string; total: number }[];
      dropped: { metric: string; reason: string; total: number }[];
    };
    runtime: { rssBytes: number; heapUsedBytes: number };
  };
  errors: { type: string; severity: string; total: number }[];
  slos: SloStatus[];
  alerts: AlertsState;
}

export interface LiveView {
  readonly enabled: boolean;
  readonly path: string;
  /** Route templates an adapter registers (the asset route's file name is the `:file` parameter). */
  readonly routes: { page: string; data: string; asset: string };
  /** Undefined when disabled. */
  readonly history: LiveHistory | undefined;
  handle(req: LiveRequest, native?: unknown): Promise<LiveResponse>;
  /** The numbers the data endpoint serves (points newer than `since`, unix ms). */
  data(since?: number): Promise<LiveData>;
  /** Starts sampling (the mount functions call it); idempotent. */
  start(): void;
  stop(): void;
}

const BAD_WEBHOOK = new Set(['rejected', 'failed', 'invalid', 'unknown_tenant']);
const TEXT = 'text/plain; charset=utf-8';
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function header(req: LiveRequest, name: string): string {
  const v = req.headers[name];
  return (Array.isArray(v) ? v.join(',') : v) ?? '';
}

function acceptsGzip(req: LiveRequest): boolean {
  return /(?:^|,)\s*gzip\s*(?:;\s*q=(?!0(?:\.0*)?\s*(?:,|$))[\d.]+)?\s*(?:,|$)/i.test(
    header(req, 'accept-encoding').slice(0, 256),
  );
}

function normalizePath(path: string): string {
  if (!path.startsWith('/') || path.startsWith('//'))
    throw new TypeError(`Live view path must start with a single /, got ${path}`);
  const p = path.replace(/\/+$/, '');
  return p === '' ? '/' : p;
}

export function createLiveView(options: LiveViewOptions): LiveView {
  const enabled = options.enabled ?? true;
  const path = normalizePath(options.path ?? '/monitoring');
  const prefix = path === '/' ? '' : path;
  const routes = { page: path, data: `${prefix}/data`, asset: `${prefix}/assets/:file` };
  if (options.loginRedirect !== undefined && !/^(?:\/(?!\/)|https?:\/\/)/.test(options.loginRedirect)) {
    throw new TypeError('Live view loginRedirect must be a path starting with / or an http(s) URL');
  }
  for (const t of [routes.page, routes.data, routes.asset]) options.http?.exclude(t);

  if (!enabled) {
    const notFound: LiveResponse = { status: 404, headers: { 'content-type': TEXT }, body: 'Not Found\n' };
    return {
      enabled,
      path,
      routes,
      history: undefined,
      handle: async () => notFound,
      data: async () => {
        throw new Error('The live view is disabled (METRICS_ENABLED=false)');
      },
      start() {},
      stop() {},
    };
  }

  const verifier = createTokenVerifier(options.tokens);
  const registry = options.registry;
  const history = new LiveHistory(registry, options);
  const assets = loadAssets();
  const title = options.title ?? 'Live view';
  const pageHtml = assets.page
    .replaceAll('{{title}}', escapeHtml(title))
    .replaceAll('{{base}}', escapeHtml(prefix));
  const alerts: AlertsSource = options.alertmanagerUrl
    ? alertmanagerSource({
        url: options.alertmanagerUrl,
        timeoutMs: options.alertmanagerTimeoutMs ?? 2_000,
        cacheMs: history.options.intervalMs,
      })
    : NO_ALERTS;
  const fam = {
    calls: registry.of(catalog.callsTotal),
    bookings: registry.of(catalog.bookingsTotal),
    bookingsToday: registry.of(catalog.bookingsToday),
    webhooks: registry.of(catalog.webhooksTotal),
    queueJobs: registry.of(catalog.queueJobs),
    pool: registry.of(catalog.databasePoolConnections),
    lastSuccess: registry.of(catalog.metricsCollectionLastSuccess),
    collectErrors: registry.of(catalog.metricsCollectionErrors),
    collectDuration: registry.of(catalog.metricsCollectionDuration),
    overflow: registry.of(catalog.metricsLabelOverflow),
    dropped: registry.of(catalog.metricsDroppedLabels),
    errors: registry.of(catalog.errorsTotal),
  };

  async function authorized(req: LiveRequest, native: unknown): Promise<boolean> {
    if (verifier.verify(req.headers.authorization)) return true;
    if (options.authorize === undefined) return false;
    try {
      return (await options.authorize(native ?? req)) === true;
    } catch (err) {
      warnOnce(
        WarningCodes.collectFailed,
        'live-authorize',
        `Live view authorize() threw: ${(err as Error).message}`,
      );
      return false;
    }
  }

  function unauthorized(req: LiveRequest, isPage: boolean): LiveResponse {
    const html = header(req, 'accept').includes('text/html');
    if (isPage && html && options.loginRedirect !== undefined) {
      const sep = options.loginRedirect.includes('?') ? '&' : '?';
      return {
        status: 302,
        headers: {
          location: `${options.loginRedirect}${sep}next=${encodeURIComponent(path)}`,
          'cache-control': 'no-store',
        },
        body: '',
      };
    }
    const headers = {
      'www-authenticate': 'Bearer realm="metrics"',
      'cache-control': 'no-store',
      ...SECURITY_HEADERS,
    };
    if (html) {
      return {
        status: 401,
        headers: { ...headers, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CSP },
        body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>401 · ${escapeHtml(title)}</title><link rel="icon" href="data:,"><link rel="stylesheet" href="${escapeHtml(prefix)}/assets/live.css"></head><body class="denied"><main><h1>401: sign in first</h1><p>This page needs the admin session or <code>Authorization: Bearer &lt;METRICS_AUTH_TOKEN&gt;</code>, the same token as <code>/api/metrics</code>.</p></main></body></html>\n`,
      };
    }
    return {
      status: 401,
      headers: { ...headers, 'content-type': TEXT },
      body: 'Unauthorized: send "Authorization: Bearer <METRICS_AUTH_TOKEN>"\n',
    };
  }

  async function compressed(
    req: LiveRequest,
    body: string,
    type: string,
    extra: Record<string, string>,
  ): Promise<LiveResponse> {
    const headers: Record<string, string> = {
      'content-type': type,
      vary: 'Accept-Encoding',
      ...SECURITY_HEADERS,
      ...extra,
    };
    if (body.length > 1024 && acceptsGzip(req)) {
      headers['content-encoding'] = 'gzip';
      return { status: 200, headers, body: await gzip(body) };
    }
    return { status: 200, headers, body };
  }

  function serveAsset(req: LiveRequest, a: Asset): LiveResponse {
    const gz = acceptsGzip(req);
    const headers: Record<string, string> = {
      'content-type': a.type,
      'cache-control': a.cacheControl,
      vary: 'Accept-Encoding',
      'x-content-type-options': 'nosniff',
    };
    if (gz) headers['content-encoding'] = 'gzip';
    return { status: 200, headers, body: gz ? a.gzip : a.body };
  }

  const rows = <T>(m: Map<string, number>, f: (key: string[], v: number) => T): T[] =>
    [...m].map(([k, v]) => f(k.split(KEY_SEP), v));

  async function data(since = 0): Promise<LiveData> {
    const now = history.now();
    const current = history.readColumns();
    const o = history.options;
    const hour = (col: string) => history.increase(col, current.get(col) ?? 0, now).value;
    const count = (col: string): CountRow => ({ total: current.get(col) ?? 0, lastHour: hour(col) });
    const th = history.thresholds;
    const bounds = history.routes.bounds;
    const routeStats: RouteStat[] = history.routes.current(now).map((r) => {
      const q = (p: number) => {
        const v = quantileOfCounts(p, bounds, r.windowBuckets);
        return Number.isFinite(v) ? v : null;
      };
      const p95 = q(0.95);
      return {
        route: r.route,
        requests: r.requests,
        // At least one sampling interval, so a freshly started process shows no inflated rate.
        rate: r.windowRequests / Math.max(r.windowSeconds, o.intervalMs / 1000),
        errorShare: r.windowRequests > 0 ? r.windowServerErrors / r.windowRequests : null,
        clientErrorShare: r.windowRequests > 0 ? r.windowClientErrors / r.windowRequests : null,
        p50: q(0.5),
        p95,
        p99: q(0.99),
        level: p95 === null ? 'ok' : p95 > th.critical ? 'critical' : p95 > th.warning ? 'warning' : 'ok',
      };
    });
    routeStats.sort((a, b) => (b.p95 ?? -1) - (a.p95 ?? -1) || b.requests - a.requests);

    const today = sumBy(fam.bookingsToday, ['status']);
    const bookingStatuses = new Set<string>();
    for (const k of current.keys()) if (k.startsWith('bookings.')) bookingStatuses.add(k.slice(9));
    for (const k of today.keys()) bookingStatuses.add(k);
    const queueStates = new Map<string, Record<string, number>>();
    for (const [[queue, state], v] of rows(
      sumBy(fam.queueJobs, ['queue', 'state']),
      (k, v) => [k, v] as const,
    )) {
      const rec = queueStates.get(queue!) ?? {};
      rec[state!] = v;
      queueStates.set(queue!, rec);
    }
    const queues = new Set<string>(queueStates.keys());
    for (const k of current.keys()) if (k.startsWith('queue.')) queues.add(k.slice(6));
    const collectors = new Map<string, LiveData['system']['collectors'][number]>();
    const collector = (name: string) => {
      let c = collectors.get(name);
      if (c === undefined) {
        c = { collector: name, lastSuccess: null, errors: 0, durationSeconds: null };
        collectors.set(name, c);
      }
      return c;
    };
    for (const [k, v] of sumBy(fam.lastSuccess, ['collector'])) collector(k).lastSuccess = v;
    for (const [k, v] of sumBy(fam.collectErrors, ['collector'])) collector(k).errors = v;
    for (const [k, v] of sumBy(fam.collectDuration, ['collector'])) collector(k).durationSeconds = v;
    const bookingsTodayTotal =
      fam.bookingsToday.series.size > 0 ? [...today.values()].reduce((a, b) => a + b, 0) : null;
    const charts = history.charts();

    return {
      title,
      generatedAt: now,
      intervalMs: o.intervalMs,
      windowSeconds: o.windowMs / 1000,
      routeWindowSeconds: o.routeWindowMs / 1000,
      thresholds: th,
      memory: { boundBytes: history.memoryBound(), usedBytes: history.bytes() },
      charts,
      points: history.chartData(charts, since),
      routes: routeStats,
      business: {
        calls: prefixed(current, 'calls.').map((status) => ({ status, ...count(`calls.${status}`) })),
        bookings: [...bookingStatuses].sort().map((status) => ({
          status,
          ...count(`bookings.${status}`),
          today: today.get(status) ?? null,
        })),
        webhooks: rows(sumBy(fam.webhooks, ['provider', 'status']), ([provider, status], total) => ({
          provider: provider!,
          status: status!,
          total,
          lastHour: hour(`wh.${provider} ${status}`),
          level: BAD_WEBHOOK.has(status!) ? ('bad' as const) : ('ok' as const),
        })).sort((a, b) => a.provider.localeCompare(b.provider) || b.total - a.total),
        activeTenants: nullIfNaN(current.get('tenants')),
        bookingsToday: bookingsTodayTotal,
      },
      system: {
        queues: [...queues].sort().map((queue) => ({
          queue,
          size: nullIfNaN(current.get(`queue.${queue}`)),
          states: queueStates.get(queue) ?? {},
        })),
        jobs: prefixed(current, 'jobs.')
          .filter((s) => s !== 'timeouts')
          .map((status) => ({ status, ...count(`jobs.${status}`) })),
        jobTimeouts: count('jobs.timeouts'),
        database: {
          connections: nullIfNaN(current.get('db.connections')),
          max: nullIfNaN(current.get('db.max')),
          pool: Object.fromEntries(sumBy(fam.pool, ['state'])),
          slowQueries: count('db.slow'),
        },
        collectors: [...collectors.values()].sort((a, b) => a.collector.localeCompare(b.collector)),
        guard: {
          overflow: rows(sumBy(fam.overflow, ['metric']), ([metric], total) => ({ metric: metric!, total })),
          dropped: rows(sumBy(fam.dropped, ['metric', 'reason']), ([metric, reason], total) => ({
            metric: metric!,
            reason: reason!,
            total,
          })),
        },
        runtime: { rssBytes: current.get('rt.rss') ?? 0, heapUsedBytes: current.get('rt.heap') ?? 0 },
      },
      errors: rows(sumBy(fam.errors, ['type', 'severity']), ([type, severity], total) => ({
        type: type!,
        severity: severity!,
        total,
      })).sort((a, b) => b.total - a.total),
      slos: history.sloStatuses(current, now),
      alerts: await alerts.read(),
    };
  }

  return {
    enabled,
    path,
    routes,
    history,
    data,
    start: () =>
      history.start((err) =>
        warnOnce(WarningCodes.collectFailed, 'live-sample', `Live view sampling failed: ${err.message}`),
      ),
    stop: () => history.stop(),
    async handle(req, native) {
      const res = await route(req, native);
      return (req.method ?? 'GET').toUpperCase() === 'HEAD' ? { ...res, body: '' } : res;
    },
  };

  async function route(req: LiveRequest, native: unknown): Promise<LiveResponse> {
    {
      const method = (req.method ?? 'GET').toUpperCase();
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const p = q === -1 ? url : url.slice(0, q);
      const assetPrefix = `${prefix}/assets/`;
      if (method !== 'GET' && method !== 'HEAD') {
        return {
          status: 405,
          headers: { allow: 'GET, HEAD', 'content-type': TEXT },
          body: 'Method Not Allowed\n',
        };
      }
      if (p.startsWith(assetPrefix)) {
        const a = assets.files.get(p.slice(assetPrefix.length));
        if (a === undefined) return { status: 404, headers: { 'content-type': TEXT }, body: 'Not Found\n' };
        return serveAsset(req, a);
      }
      const isPage = p === path || p === `${prefix}/`;
      const isData = p === routes.data;
      if (!isPage && !isData) return { status: 404, headers: { 'content-type': TEXT }, body: 'Not Found\n' };
      if (!(await authorized(req, native))) return unauthorized(req, isPage);
      if (isPage) {
        return compressed(req, pageHtml, 'text/html; charset=utf-8', {
          'cache-control': 'no-store',
          'content-security-policy': CSP,
        });
      }
      const sinceRaw = q === -1 ? null : new URLSearchParams(url.slice(q + 1, q + 200)).get('since');
      const since = sinceRaw !== null && /^\d{1,15}$/.test(sinceRaw) ? Number(sinceRaw) : 0;
      return compressed(req, JSON.stringify(await data(since)), 'application/json; charset=utf-8', {
        'cache-control': 'no-store',
      });
    }
  }
}

function prefixed(m: Map<string, number>, prefix: string): string[] {
  const out: string[] = [];
  for (const k of m.keys()) if (k.startsWith(prefix)) out.push(k.slice(prefix.length));
  return out.sort();
}

function nullIfNaN(v: number | undefined): number | null {
  return v === undefined || Number.isNaN(v) ? null : v;
}
