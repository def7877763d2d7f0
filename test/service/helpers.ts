// Shared by the service tests: typed config from a test environment, and reading metric values from
// the scraped exposition (the same text Prometheus would read).
import type { FastifyInstance } from 'fastify';
import { type Config, loadConfig } from '../../src/config.ts';
import { readExposition, type Sample } from '../../src/metrics/exposition-reader.ts';
import { DEMO_CREDENTIALS } from '../../src/service/demo.ts';

export type { Sample };

export const TOKEN = 'service-test-token-0123456789abcdef';

/** Config for a test service: NODE_ENV=test, a known metrics token, quiet logs, no scheduled collection. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    METRICS_AUTH_TOKEN: TOKEN,
    LOG_LEVEL: 'silent',
    MONITORING_ENABLED: 'false',
    PORT: '0',
    ...env,
  });
}

/** GET /api/metrics in-process, with the token. */
export async function scrape(app: FastifyInstance): Promise<string> {
  const res = await app.inject({
    method: 'GET',
    url: '/api/metrics',
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  if (res.statusCode !== 200) throw new Error(`/api/metrics answered ${res.statusCode}: ${res.body}`);
  return res.body;
}

/** GET /api/metrics over the network. */
export async function scrapeUrl(base: string): Promise<string> {
  const res = await fetch(`${base}/api/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  if (res.status !== 200) throw new Error(`/api/metrics answered ${res.status}`);
  return res.text();
}

/** Every sample of the exposition (the library's one reader). */
export function parseExposition(text: string): Sample[] {
  return readExposition(text).samples;
}

/** The value of the series with exactly these labels among its labels (0 when absent). */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  const match = parseExposition(text).find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return match?.value ?? 0;
}

/** All series of a metric. */
export function series(text: string, name: string): Sample[] {
  return parseExposition(text).filter((s) => s.name === name);
}

/** Headers of the demo tenant's API client (its key exists outside production on loopback). */
export const API_HEADERS = { authorization: `Bearer ${DEMO_CREDENTIALS.apiKey}` } as const;

/**
 * Logs in at /admin/login as the demo admin over the network, as a browser would (CSRF token from the
 * form, cookies carried along); returns the Cookie header of the session.
 */
export async function adminCookie(
  base: string,
  user: string = DEMO_CREDENTIALS.adminUser,
  password: string = DEMO_CREDENTIALS.adminPassword,
): Promise<string> {
  const form = await fetch(`${base}/admin/login`);
  const html = await form.text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!csrf) throw new Error(`no CSRF token on the login page (${form.status})`);
  const jar = cookiesOf(form);
  const res = await fetch(`${base}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar },
    body: new URLSearchParams({ _csrf: csrf, username: user, password, next: '/admin' }).toString(),
  });
  if (res.status !== 303) throw new Error(`login answered ${res.status}`);
  return [jar, cookiesOf(res)].filter(Boolean).join('; ');
}

/** `name=value` pairs of a response's Set-Cookie headers. */
export function cookiesOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';', 1)[0])
    .join('; ');
}
