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

/** Every sample of `name` in a text exposition: labels and value. */
export function samplesOf(
  text: string,
  name: string,
): Array<{ labels: Record<string, string>; value: number }> {
  const out: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    const labels: Record<string, string> = {};
    let valueText = rest.trim();
    if (rest[0] === '{') {
      const end = rest.lastIndexOf('}');
      for (const m of rest.slice(1, end).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
        labels[m[1]!] = m[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      }
      valueText = rest.slice(end + 1).trim();
    }
    out.push({ labels, value: Number(valueText.split(' ')[0]) });
  }
  return out;
}

/** The metrics URL a local service listens on, from HOST/PORT/METRICS_PATH. */
export function localEndpointUrl(host: string, port: number, path: string): string {
  const h = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}${path}`;
}
