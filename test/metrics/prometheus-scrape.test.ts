import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Prometheus, startPrometheus } from '../support/prometheus.ts';
import { type RunningApp, startApp, TOKEN } from './apps.ts';

/** A real Prometheus 2.42 scrapes the endpoint; it asks for OpenMetrics first, so that is what it parses. */
describe('scraped by a real Prometheus', () => {
  let app: RunningApp;
  let prometheus: Prometheus;
  before(async () => {
    app = await startApp('fastify');
    for (let i = 0; i < 5; i++) await fetch(`${app.url}/api/bookings/${i}`);
    await fetch(`${app.url}/api/fail`);
    const target = new URL(app.url).host;
    prometheus = await startPrometheus({
      files: { token: TOKEN },
      configYaml: ({ dir }) => `
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: askproai
    metrics_path: /api/metrics
    authorization: { type: Bearer, credentials_file: ${dir}/token }
    static_configs: [{ targets: ['${target}'] }]
  - job_name: askproai-wrong-token
    metrics_path: /api/metrics
    authorization: { type: Bearer, credentials: not-the-token }
    static_configs: [{ targets: ['${target}'] }]
`,
    });
  });
  after(async () => {
    await prometheus?.stop();
    await app?.close();
  });

  test('the target is up, the samples are queryable, and a wrong token is refused', async () => {
    const targets = await prometheus.waitFor(
      async () => {
        const t = await prometheus.targets();
        return t.length === 2 && t.every((x) => x.health !== 'unknown') ? t : undefined;
      },
      20_000,
      'both targets scraped once',
    );
    const good = targets.find((t) => t.labels.job === 'askproai')!;
    const bad = targets.find((t) => t.labels.job === 'askproai-wrong-token')!;
    assert.equal(good.health, 'up', good.lastError);
    assert.equal(bad.health, 'down');
    assert.match(bad.lastError, /401/);

    const rows = await prometheus.waitFor(
      async () => {
        const r = await prometheus.query(
          'sum by (endpoint, status) (askproai_http_requests_total{job="askproai"})',
        );
        return r.length > 0 ? r : undefined;
      },
      10_000,
      'http_requests_total in Prometheus',
    );
    const byEndpoint = Object.fromEntries(
      rows.map((r) => [`${r.metric.endpoint} ${r.metric.status}`, Number(r.value[1])]),
    );
    assert.equal(byEndpoint['/api/bookings/:id 200'], 5);
    assert.equal(byEndpoint['/api/fail 500'], 1);
    const p95 = await prometheus.query(
      'histogram_quantile(0.95, sum by (le) (askproai_http_request_duration_seconds_bucket{job="askproai"}))',
    );
    assert.equal(p95.length, 1);
    assert.ok(Number(p95[0]!.value[1]) > 0);
    assert.ok(
      app.formats.length > 0 && app.formats.every((f) => f === 'openmetrics'),
      'Prometheus negotiated OpenMetrics',
    );
  });
});
