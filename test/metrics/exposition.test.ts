import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import client from 'prom-client';
import { catalog } from '../../src/metrics/catalog.ts';
import { MetricsCollector } from '../../src/metrics/collector.ts';
import { negotiateFormat } from '../../src/metrics/core/exposition.ts';
import type { MetricDef } from '../../src/metrics/core/types.ts';
import { readExposition, sampleMap } from '../../src/metrics/exposition-reader.ts';
import { createRegistry } from '../../src/metrics/registry.ts';
import { registerRuntimeMetrics } from '../../src/metrics/runtime.ts';

function promtoolCheck(text: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Records the same mixed traffic into any target through a tiny adapter. */
function recordTraffic(rec: {
  counter(def: MetricDef, labels: Record<string, string>, by?: number): void;
  observe(def: MetricDef, labels: Record<string, string>, v: number): void;
  set(def: MetricDef, labels: Record<string, string>, v: number): void;
}) {
  const endpoints = ['/api/bookings/:id', '/api/health', 'unmatched', '/a "quoted" \\ path', 'ünïcödé/路径'];
  let x = 7;
  const rand = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
  for (let i = 0; i < 3000; i++) {
    const labels = {
      method: ['GET', 'POST', 'DELETE'][i % 3]!,
      endpoint: endpoints[i % endpoints.length]!,
      status: String([200, 404, 500, 201][i % 4]),
    };
    rec.counter(catalog.httpRequestsTotal, labels);
    rec.observe(catalog.httpRequestDuration, labels, rand() * 2);
  }
  for (let i = 0; i < 100; i++)
    rec.counter(
      catalog.bookingsTotal,
      { status: 'confirmed', source: ['phone', 'web'][i % 2]! },
      1 + (i % 3),
    );
  rec.set(catalog.queueSize, { queue: 'default' }, 42);
  rec.set(catalog.queueSize, { queue: 'webhooks' }, 0.5);
  rec.set(catalog.activeTenants, {}, 17);
  rec.observe(catalog.webhookProcessingDuration, { provider: 'retell', event: 'call_ended' }, 0.35);
  rec.observe(catalog.webhookProcessingDuration, { provider: 'retell', event: 'call_ended' }, 100);
}

describe('exposition', () => {
  test('promtool check metrics finds nothing to complain about, runtime metrics included', () => {
    const registry = createRegistry();
    const runtime = registerRuntimeMetrics(registry);
    const metrics = new MetricsCollector(registry);
    metrics.recordBooking('confirmed', 'phone');
    metrics.recordCall('completed', 'cmp_demo');
    metrics.recordWebhook('retell', 'call_ended', 'processed', 0.12);
    metrics.updateQueueSize('default', 3);
    metrics.recordError('payment_failed', 'critical');
    metrics.setDatabaseConnections(12);
    metrics.setActiveTenants(4);
    metrics.recordQuery('select', 0.2);
    metrics.recordJob('webhooks', 'completed', 1.5);
    metrics.recordAdminPageLoad('dashboard', 0.8);
    registry.histogram(catalog.httpRequestDuration).with3('GET', '/api/bookings/:id', 200).observe(0.05);
    registry.counter(catalog.httpRequestsTotal).with3('GET', '/api/bookings/:id', 200).inc();
    const text = registry.expose('text');
    runtime.stop();
    const r = promtoolCheck(text);
    assert.equal(r.status, 0, r.output);
    assert.equal(r.output.trim(), '');
    for (const def of Object.values(catalog)) {
      if (def.type === 'counter') assert.ok(def.name.endsWith('_total'), def.name);
    }
  });

  test('OpenMetrics: counters declared without _total, # EOF last, same samples as the text format', () => {
    const registry = createRegistry();
    const metrics = new MetricsCollector(registry);
    metrics.recordBooking('confirmed', 'phone');
    metrics.recordWebhook('calcom', 'BOOKING_CREATED', 'processed', 0.4);
    metrics.setActiveTenants(2);
    const om = registry.expose('openmetrics');
    assert.ok(om.endsWith('# EOF\n'));
    assert.match(om, /^# TYPE askproai_bookings counter$/m);
    assert.match(om, /^askproai_bookings_total\{status="confirmed",source="phone"\} 1$/m);
    assert.match(om, /^# TYPE askproai_webhook_processing_duration_seconds histogram$/m);
    const a = readExposition(om);
    const b = readExposition(registry.expose('text'));
    assert.ok(a.eof);
    assert.deepEqual(sampleMap(a.samples), sampleMap(b.samples));
  });

  test('content negotiation follows the Accept header and its q-values', () => {
    const prometheus =
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
    assert.equal(negotiateFormat(prometheus), 'openmetrics');
    assert.equal(negotiateFormat(undefined), 'text');
    assert.equal(negotiateFormat('text/plain'), 'text');
    assert.equal(negotiateFormat('*/*'), 'text');
    assert.equal(negotiateFormat('text/plain;q=1, application/openmetrics-text;q=0.5'), 'text');
    assert.equal(negotiateFormat('application/openmetrics-text;q=0'), 'text');
  });

  test('for the same recorded data our exposition parses to the same samples as prom-client', async () => {
    const ours = createRegistry();
    recordTraffic({
      counter: (def, labels, by = 1) =>
        ours
          .counter(def as MetricDef<string, 'counter'>)
          .labelsFrom(labels)
          .inc(by),
      observe: (def, labels, v) =>
        ours
          .histogram(def as MetricDef<string, 'histogram'>)
          .labelsFrom(labels)
          .observe(v),
      set: (def, labels, v) =>
        ours
          .gauge(def as MetricDef<string, 'gauge'>)
          .labelsFrom(labels)
          .set(v),
    });

    const theirs = new client.Registry();
    const made = new Map<MetricDef, client.Counter | client.Histogram | client.Gauge>();
    const get = (def: MetricDef) => {
      let m = made.get(def);
      if (!m) {
        const cfg = {
          name: `askproai_${def.name}`,
          help: def.help,
          labelNames: [...def.labels],
          registers: [theirs],
        };
        m =
          def.type === 'counter'
            ? new client.Counter(cfg)
            : def.type === 'gauge'
              ? new client.Gauge(cfg)
              : new client.Histogram({ ...cfg, buckets: [...def.buckets!] });
        made.set(def, m);
      }
      return m;
    };
    recordTraffic({
      counter: (def, labels, by = 1) => (get(def) as client.Counter).inc(labels, by),
      observe: (def, labels, v) => (get(def) as client.Histogram).observe(labels, v),
      set: (def, labels, v) => (get(def) as client.Gauge).set(labels, v),
    });

    const mine = readExposition(ours.expose('text'));
    const reference = readExposition(await theirs.metrics());
    const oursMap = sampleMap(mine.samples);
    const refMap = sampleMap(reference.samples);
    assert.equal(oursMap.size, refMap.size);
    for (const [key, value] of refMap) {
      const v = oursMap.get(key);
      assert.notEqual(v, undefined, `missing ${key}`);
      // Sums are added in the same order; allow for float formatting only.
      assert.ok(Math.abs(v! - value) <= 1e-9 * Math.max(1, Math.abs(value)), `${key}: ${v} != ${value}`);
    }
    for (const [name, type] of reference.types) assert.equal(mine.types.get(name), type, name);
    for (const [name, help] of reference.help) assert.equal(mine.help.get(name), help, name);
  });

  test('a family without series still declares HELP and TYPE; webhook outcomes and error severities start at 0', () => {
    const registry = createRegistry();
    const collector = new MetricsCollector(registry);
    const text = registry.expose();
    // Nothing recorded yet: every seed metric is still declared.
    for (const def of [catalog.callsTotal, catalog.errorsTotal, catalog.queueSize, catalog.webhooksTotal]) {
      assert.match(text, new RegExp(`^# HELP askproai_${def.name} `, 'm'));
      assert.match(text, new RegExp(`^# TYPE askproai_${def.name} ${def.type}$`, 'm'));
    }
    collector.startWebhookSeries('retell', ['call_ended']);
    collector.startErrorSeries(['webhook_claim_release_failed']);
    collector.setBuildInfo('1.2.3');
    const after = registry.expose();
    assert.match(
      after,
      /^askproai_webhooks_total\{provider="retell",event="call_ended",status="rejected"\} 0$/m,
    );
    for (const severity of ['critical', 'error', 'warning', 'info'])
      assert.match(
        after,
        new RegExp(
          `^askproai_errors_total\\{type="webhook_claim_release_failed",severity="${severity}"\\} 0$`,
          'm',
        ),
      );
    assert.match(after, /^askproai_build_info\{version="1\.2\.3"\} 1$/m);
  });

  test('a custom namespace prefixes every metric', () => {
    const registry = createRegistry({ namespace: 'acme' });
    new MetricsCollector(registry).recordBooking('pending', 'web');
    const { samples } = readExposition(registry.expose());
    assert.ok(samples.length > 0);
    for (const s of samples) assert.ok(s.name.startsWith('acme_'), s.name);
  });
});
