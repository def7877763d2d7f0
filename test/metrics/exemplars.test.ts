/**
 * Exemplars end to end: requests handled inside a Sentry span record the span's trace id on the
 * duration histogram; only the OpenMetrics exposition shows it; a real Prometheus with exemplar
 * storage scrapes it and answers /api/v1/query_exemplars with the trace id.
 */
import assert from 'node:assert/strict';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import * as Sentry from '@sentry/node';
import { catalog } from '../../src/metrics/catalog.ts';
import { MetricsCollector } from '../../src/metrics/collector.ts';
import { EXEMPLAR_REFRESH_MS } from '../../src/metrics/core/family.ts';
import type { Registry } from '../../src/metrics/core/registry.ts';
import { createMetricsEndpoint } from '../../src/metrics/endpoint.ts';
import { HttpMetrics } from '../../src/metrics/http/core.ts';
import { instrumentHandler, nodeMetricsHandler, setRoute } from '../../src/metrics/http/node.ts';
import { createRegistry } from '../../src/metrics/registry.ts';
import { activeTraceId } from '../../src/service/sentry.ts';
import { type Prometheus, startPrometheus } from '../support/prometheus.ts';
import { type SentrySink, startSentrySink } from '../support/sinks.ts';

const TOKEN = 'exemplar-token-0123456789abcdef0123456789';

describe('exemplars', () => {
  let sentry: SentrySink;
  let server: Server;
  let url: string;
  let registry: Registry;
  let collector: MetricsCollector;
  const traces: string[] = [];

  before(async () => {
    sentry = await startSentrySink();
    Sentry.init({ dsn: sentry.dsn, tracesSampleRate: 1, defaultIntegrations: false });
    registry = createRegistry();
    collector = new MetricsCollector(registry, { traceId: activeTraceId });
    const metrics = new HttpMetrics(registry, { traceId: activeTraceId });
    const endpoint = nodeMetricsHandler(createMetricsEndpoint({ registry, tokens: [TOKEN] }));
    const app = instrumentHandler(metrics, (req, res) => {
      setRoute(req, '/api/bookings/:id');
      res.end('{}');
    });
    server = http.createServer((req, res) => {
      if (req.url === '/api/metrics') return endpoint(req, res);
      // What Sentry's HTTP integration does for every request: the handler runs inside its span.
      Sentry.startNewTrace(() =>
        Sentry.startSpan({ name: `GET ${req.url}`, op: 'http.server' }, (span) => {
          traces.push(span.spanContext().traceId);
          app(req, res);
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (let i = 0; i < 3; i++) await (await fetch(`${url}/api/bookings/${i}`)).text();
    Sentry.startSpan({ name: 'webhook' }, () =>
      collector.recordWebhook('retell', 'call_ended', 'success', 0.2),
    );
  });
  after(async () => {
    server?.close();
    await Sentry.close(1000);
    await sentry?.stop();
  });

  test('only the OpenMetrics exposition carries them, one per bucket, each a request trace id', () => {
    const om = registry.expose('openmetrics');
    const lines = om.split('\n').filter((l) => l.includes(' # {trace_id='));
    const http = lines.filter((l) => l.startsWith('askproai_http_request_duration_seconds_bucket'));
    assert.ok(http.length >= 1 && http.length <= 3, om);
    assert.equal(new Set(traces).size, 3);
    for (const line of http) {
      // `..._bucket{...,le="B"} N # {trace_id="T"} V TIMESTAMP` with V <= B and T a request's trace.
      const m = /le="([^"]+)"} \d+ # \{trace_id="([0-9a-f]{32})"\} ([0-9.e-]+) (\d+(?:\.\d+)?)$/.exec(line);
      assert.ok(m, line);
      assert.ok(traces.includes(m[2]!), line);
      assert.ok(Number(m[3]) <= Number(m[1]), line);
    }
    // One exemplar per bucket per series.
    assert.equal(new Set(http.map((l) => l.split(' # ')[0]!.replace(/ \d+$/, ''))).size, http.length);
    assert.ok(lines.some((l) => l.startsWith('askproai_webhook_processing_duration_seconds_bucket')));
    assert.doesNotMatch(registry.expose('text'), /trace_id/);
  });

  test('refreshed by time, never kept from something that is not a trace id', () => {
    const r = createRegistry();
    const h = r.histogram(catalog.httpRequestDuration).with3('GET', '/x', 200);
    const a = 'a'.repeat(32);
    const b = 'b'.repeat(32);
    h.observeTraced(0.001, a, 1_000_000);
    h.observeTraced(0.001, b, 1_000_000 + EXEMPLAR_REFRESH_MS - 1);
    assert.match(r.expose('openmetrics'), new RegExp(`trace_id="${a}"`));
    h.observeTraced(0.001, b, 1_000_000 + EXEMPLAR_REFRESH_MS);
    assert.match(
      r.expose('openmetrics'),
      new RegExp(`trace_id="${b}"} 0.001 ${(1_000_000 + EXEMPLAR_REFRESH_MS) / 1000}`),
    );
    h.observeTraced(5, 'not-a-trace"} 1\n', 2_000_000);
    h.observeTraced(5, undefined, 2_000_000);
    assert.equal(r.expose('openmetrics').match(/trace_id/g)?.length, 1);
    assert.equal(h.count, 5);
  });

  test('without a trace id source nothing is kept', () => {
    const r = createRegistry();
    const m = new HttpMetrics(r);
    assert.equal(m.traceId, undefined);
    m.route('/x')!.record('GET', 200, 0.01);
    new MetricsCollector(r).recordWebhook('retell', 'call_ended', 'success', 0.2);
    assert.doesNotMatch(r.expose('openmetrics'), /trace_id/);
  });

  describe('scraped by Prometheus with exemplar storage', () => {
    let prometheus: Prometheus;
    before(async () => {
      prometheus = await startPrometheus({
        files: { token: TOKEN },
        extraArgs: ['--enable-feature=exemplar-storage'],
        configYaml: ({ dir }) => `
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: askproai
    metrics_path: /api/metrics
    authorization: { type: Bearer, credentials_file: ${dir}/token }
    static_configs: [{ targets: ['${new URL(url).host}'] }]
`,
      });
    });
    after(async () => {
      await prometheus?.stop();
    });

    test('/api/v1/query_exemplars returns the request trace id', async () => {
      const found = await prometheus.waitFor(
        async () => {
          const end = Date.now() / 1000 + 60;
          const q = new URLSearchParams({
            query: 'askproai_http_request_duration_seconds_bucket',
            start: String(end - 3600),
            end: String(end),
          });
          const body = (await (await fetch(`${prometheus.url}/api/v1/query_exemplars?${q}`)).json()) as {
            data: Array<{ exemplars: Array<{ labels: Record<string, string>; value: string }> }>;
          };
          const ids = body.data.flatMap((s) => s.exemplars.map((e) => e.labels.trace_id));
          return ids.length > 0 ? ids : undefined;
        },
        20_000,
        'an exemplar in Prometheus',
      );
      for (const id of found) assert.ok(traces.includes(id!), id);
      const targets = await prometheus.targets();
      assert.equal(targets[0]?.health, 'up', targets[0]?.lastError);
    });
  });
});
