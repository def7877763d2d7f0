/** GET (or POST) a URL and parse the JSON answer; throws with status and body on a non-2xx answer. */
export async function fetchJson<T = unknown>(url: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000), ...init });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${text.slice(0, 500)}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${init.method ?? 'GET'} ${url} did not answer JSON: ${text.slice(0, 500)}`);
  }
}

/** GET a URL and return the body text; throws with status and body on a non-2xx answer. */
export async function fetchText(url: string, init: RequestInit = {}): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000), ...init });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${text.slice(0, 500)}`);
  }
  return text;
}

/** The Prometheus HTTP API envelope (also spoken by VictoriaMetrics). */
export interface PromApiResponse<T> {
  status: 'success' | 'error';
  data: T;
  errorType?: string;
  error?: string;
  warnings?: string[];
}

/** One element of an instant vector. */
export interface PromSample {
  metric: Record<string, string>;
  /** [unix seconds, value as text] */
  value: [number, string];
}

/** One series of a range query. */
export interface PromSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

export interface RangeOptions {
  /** Default: 5 minutes ago. */
  start?: Date | number;
  /** Default: now. */
  end?: Date | number;
  /** Seconds, default 1. */
  step?: number;
}

const toSeconds = (t: Date | number): string => String(t instanceof Date ? t.getTime() / 1000 : t);

/** Client for the Prometheus query API at `baseUrl` (Prometheus itself or VictoriaMetrics). */
export function promQueryClient(baseUrl: string, headers: Record<string, string> = {}) {
  const call = async <T>(path: string, params: Record<string, string>): Promise<T> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers,
      body: new URLSearchParams(params),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    let body: PromApiResponse<T>;
    try {
      body = JSON.parse(text) as PromApiResponse<T>;
    } catch {
      throw new Error(`${path} answered ${response.status} without JSON: ${text.slice(0, 500)}`);
    }
    if (body.status !== 'success') {
      throw new Error(`query ${JSON.stringify(params.query)} failed: ${body.errorType}: ${body.error}`);
    }
    return body.data;
  };
  return {
    /** Instant query; `data` as the API returns it (resultType + result). */
    async queryRaw(promql: string, time?: Date | number): Promise<{ resultType: string; result: unknown }> {
      return call('/api/v1/query', {
        query: promql,
        ...(time === undefined ? {} : { time: toSeconds(time) }),
      });
    },
    /** Instant query returning `data.result` of a vector result (scalars come back as one sample). */
    async query(promql: string, time?: Date | number): Promise<PromSample[]> {
      const data = await this.queryRaw(promql, time);
      if (data.resultType === 'scalar' || data.resultType === 'string') {
        return [{ metric: {}, value: data.result as [number, string] }];
      }
      return data.result as PromSample[];
    },
    /** Range query returning `data.result` (a matrix). */
    async queryRange(promql: string, range: RangeOptions = {}): Promise<PromSeries[]> {
      const end = range.end ?? Date.now() / 1000;
      const start = range.start ?? (end instanceof Date ? end.getTime() / 1000 : end) - 300;
      const data = await call<{ result: PromSeries[] }>('/api/v1/query_range', {
        query: promql,
        start: toSeconds(start),
        end: toSeconds(end),
        step: String(range.step ?? 1),
      });
      return data.result;
    },
  };
}
