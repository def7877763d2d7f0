/** Reading a running service from outside (CLI status and doctor): its exposition and the stored snapshot. */

export interface ScrapeResult {
  status: number;
  text: string;
}

/** GETs a metrics endpoint with a bearer token. Throws on network errors (message without the token). */
export async function fetchExposition(
  url: string,
  token: string | undefined,
  timeoutMs = 5000,
): Promise<ScrapeResult> {
  const headers: Record<string, string> = { accept: 'text/plain' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, text: await res.text() };
}

/** The metrics URL a local service listens on, from HOST/PORT/METRICS_PATH. */
export function localEndpointUrl(host: string, port: number, path: string): string {
  const h = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}${path}`;
}
