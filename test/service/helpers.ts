// Shared by the service tests: typed config from a test environment, and reading metric values from
// the scraped exposition (the same text Prometheus would read).
import type { FastifyInstance } from 'fastify';
import { type Config, loadConfig } from '../../src/config.ts';
import { readExposition, type Sample } from '../../src/metrics/exposition-reader.ts';

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
