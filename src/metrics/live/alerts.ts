/**
 * The alerts firing now, read server-side from Alertmanager's API v2 (`GET /api/v2/alerts`, active,
 * not silenced, not inhibited) with a timeout, and cached for one refresh interval so many open pages
 * cost one request. Credentials in the URL (`https://user:pass@am:9093`) become a basic-auth header;
 * neither they nor the URL appear in what the page shows.
 */

export interface FiringAlert {
  name: string;
  severity: string;
  summary: string;
  startsAt: string;
  /** Identifying labels other than alertname and severity (instance, job, queue, ...). */
  labels: Record<string, string>;
}

export interface AlertsState {
  configured: boolean;
  ok: boolean;
  /** What went wrong, without the URL or its credentials. */
  error?: string;
  alerts: FiringAlert[];
  fetchedAt?: number;
}

export interface AlertsSource {
  read(): Promise<AlertsState>;
}

interface GettableAlert {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  status?: { state?: string };
}

const MAX_ALERTS = 200;
const MAX_TEXT = 300;
const clip = (s: unknown) => (typeof s === 'string' ? s.slice(0, MAX_TEXT) : '');

export function alertmanagerSource(options: {
  url: string;
  timeoutMs: number;
  cacheMs: number;
  now?: () => number;
}): AlertsSource {
  const parsed = new URL(options.url);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (parsed.username || parsed.password) {
    const user = decodeURIComponent(parsed.username);
    const pass = decodeURIComponent(parsed.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    parsed.username = '';
    parsed.password = '';
  }
  const base = parsed.toString().replace(/\/+$/, '');
  const endpoint = `${base}/api/v2/alerts?active=true&silenced=false&inhibited=false`;
  const now = options.now ?? Date.now;
  let cached: AlertsState | undefined;
  let pending: Promise<AlertsState> | undefined;

  async function fetchAlerts(): Promise<AlertsState> {
    try {
      const res = await fetch(endpoint, { headers, signal: AbortSignal.timeout(options.timeoutMs) });
      if (!res.ok) {
        await res.body?.cancel();
        return { configured: true, ok: false, error: `Alertmanager answered ${res.status}`, alerts: [] };
      }
      const body = (await res.json()) as GettableAlert[];
      if (!Array.isArray(body)) throw new Error('unexpected answer');
      const alerts = body
        .filter((a) => (a.status?.state ?? 'active') === 'active')
        .slice(0, MAX_ALERTS)
        .map((a) => {
          const { alertname, severity, ...rest } = a.labels ?? {};
          const labels: Record<string, string> = {};
          for (const [k, v] of Object.entries(rest).slice(0, 10)) labels[clip(k)] = clip(v);
          return {
            name: clip(alertname),
            severity: clip(severity),
            summary: clip(a.annotations?.summary ?? a.annotations?.description),
            startsAt: clip(a.startsAt),
            labels,
          };
        })
        .sort(
          (x, y) =>
            severityRank(y.severity) - severityRank(x.severity) || x.startsAt.localeCompare(y.startsAt),
        );
      return { configured: true, ok: true, alerts, fetchedAt: now() };
    } catch (err) {
      const e = err as Error;
      const why = e.name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : 'unreachable';
      return { configured: true, ok: false, error: `Alertmanager ${why}`, alerts: [] };
    }
  }

  return {
    read() {
      if (cached?.fetchedAt !== undefined && now() - cached.fetchedAt < options.cacheMs)
        return Promise.resolve(cached);
      pending ??= fetchAlerts().then((state) => {
        pending = undefined;
        cached = { ...state, fetchedAt: state.fetchedAt ?? now() };
        return cached;
      });
      return pending;
    },
  };
}

function severityRank(s: string): number {
  return s === 'critical' ? 3 : s === 'warning' ? 2 : s === 'info' ? 1 : 0;
}

export const NO_ALERTS: AlertsSource = {
  read: async () => ({ configured: false, ok: true, alerts: [] }),
};
