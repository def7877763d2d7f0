import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { catalog } from '../../src/metrics/catalog.ts';
import { MetricsCollector } from '../../src/metrics/collector.ts';
import { OVERFLOW_VALUE, REDACTED_VALUE } from '../../src/metrics/core/labels.ts';
import type { MetricDef } from '../../src/metrics/core/types.ts';
import { readExposition, sampleValue } from '../../src/metrics/exposition-reader.ts';
import { createRegistry } from '../../src/metrics/registry.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

describe('metric families', () => {
  test('label sets whose values contain the separator of a naive join stay distinct', () => {
    const registry = createRegistry();
    const def: MetricDef<'a' | 'b', 'counter'> = {
      name: 'join_test_total',
      type: 'counter',
      help: 'h',
      labels: ['a', 'b'],
    };
    const f = registry.counter(def);
    f.with2('x|y', 'z').inc();
    f.with2('x', 'y|z').inc(2);
    f.with2('x,y="', 'z').inc(3);
    const { samples } = readExposition(registry.expose());
    assert.equal(sampleValue(samples, 'askproai_join_test_total', { a: 'x|y', b: 'z' }), 1);
    assert.equal(sampleValue(samples, 'askproai_join_test_total', { a: 'x', b: 'y|z' }), 2);
    assert.equal(sampleValue(samples, 'askproai_join_test_total', { a: 'x,y="', b: 'z' }), 3);
  });

  test('a number and its text are one series', () => {
    const registry = createRegistry();
    const f = registry.counter(catalog.httpRequestsTotal);
    f.with3('GET', '/x', 200).inc();
    f.with3('GET', '/x', '200').inc();
    assert.equal(f.series.size, 1);
    assert.equal([...f.series.values()][0]!.value, 2);
  });

  test('past the cap new label sets fold into one overflow series and are counted', () => {
    // errors_total has no cap of its own in the catalog, so the registry's default applies.
    const registry = createRegistry({ maxSeries: 10 });
    const metrics = new MetricsCollector(registry);
    for (let i = 0; i < 25; i++) metrics.recordError(`type_${i}`, 'critical');
    for (let i = 0; i < 3; i++) metrics.recordError('type_0', 'critical');
    const { samples } = readExposition(registry.expose());
    const errors = samples.filter((s) => s.name === 'askproai_errors_total');
    assert.equal(errors.length, 11, '10 real series + 1 overflow');
    assert.equal(
      sampleValue(samples, 'askproai_errors_total', { type: OVERFLOW_VALUE, severity: OVERFLOW_VALUE }),
      15,
    );
    assert.equal(sampleValue(samples, 'askproai_errors_total', { type: 'type_0', severity: 'critical' }), 4);
    assert.equal(
      sampleValue(samples, 'askproai_metrics_label_overflow_total', { metric: 'askproai_errors_total' }),
      15,
    );
    const total = errors.reduce((a, s) => a + s.value, 0);
    assert.equal(total, 28, 'no recording is lost');
  });

  test('PII never reaches the exposition and is counted by reason', () => {
    const registry = createRegistry();
    const metrics = new MetricsCollector(registry);
    metrics.recordCall('completed', '+49 30 1234567');
    metrics.recordCall('completed', 'anna@example.de');
    metrics.recordError('lookup failed for max.mustermann@example.com', 'warning');
    const text = registry.expose();
    assert.ok(!text.includes('1234567'));
    assert.ok(!text.includes('@example'));
    const { samples } = readExposition(text);
    assert.equal(
      sampleValue(samples, 'askproai_calls_total', { status: 'completed', company: REDACTED_VALUE }),
      2,
    );
    assert.equal(
      sampleValue(samples, 'askproai_metrics_dropped_labels_total', {
        metric: 'askproai_calls_total',
        reason: 'phone',
      }),
      1,
    );
    assert.equal(
      sampleValue(samples, 'askproai_metrics_dropped_labels_total', {
        metric: 'askproai_calls_total',
        reason: 'email',
      }),
      1,
    );
    assert.equal(
      sampleValue(samples, 'askproai_metrics_dropped_labels_total', {
        metric: 'askproai_errors_total',
        reason: 'email',
      }),
      1,
    );
  });

  test('PII is counted on every recording, not only the first', () => {
    const registry = createRegistry();
    const metrics = new MetricsCollector(registry);
    for (let i = 0; i < 5; i++) metrics.recordCall('failed', '+4915112345678');
    const { samples } = readExposition(registry.expose());
    assert.equal(
      sampleValue(samples, 'askproai_metrics_dropped_labels_total', {
        metric: 'askproai_calls_total',
        reason: 'phone',
      }),
      5,
    );
  });

  test('10,000 random company names keep the series count and the heap bounded', () => {
    const registry = createRegistry();
    const metrics = new MetricsCollector(registry);
    const calls = registry.counter(catalog.callsTotal);
    const cap = catalog.callsTotal.maxSeries ?? 1000;
    for (let i = 0; i < cap + 1000; i++) metrics.recordCall('completed', randomBytes(8).toString('hex'));
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 10_000; i++) metrics.recordCall('completed', randomBytes(12).toString('base64url'));
    gc();
    const after = process.memoryUsage().heapUsed;
    assert.equal(calls.series.size, cap + 1, 'the catalog cap plus the overflow series');
    // The cap was reached before `before`: the next 10,000 names must not grow the heap by more than
    // the garbage a few collections leave behind.
    assert.ok(after - before < 2_000_000, `heap grew by ${after - before} bytes`);
    const { samples } = readExposition(registry.expose());
    assert.equal(
      samples.filter((s) => s.name === 'askproai_calls_total').reduce((a, s) => a + s.value, 0),
      cap + 11_000,
    );
  });

  test('invalid values are ignored with a warning instead of corrupting a series', () => {
    const registry = createRegistry();
    const metrics = new MetricsCollector(registry);
    metrics.recordWebhook('retell', 'call_ended', 'processed', Number.NaN);
    metrics.recordWebhook('retell', 'call_ended', 'processed', 0.2);
    registry.counter(catalog.errorsTotal).with2('x', 'error').inc(-1);
    const { samples } = readExposition(registry.expose());
    assert.equal(
      sampleValue(samples, 'askproai_webhook_processing_duration_seconds_count', {
        provider: 'retell',
        event: 'call_ended',
      }),
      1,
    );
    assert.equal(
      sampleValue(samples, 'askproai_webhook_processing_duration_seconds_sum', {
        provider: 'retell',
        event: 'call_ended',
      }),
      0.2,
    );
    assert.equal(sampleValue(samples, 'askproai_errors_total', { type: 'x', severity: 'error' }), 0);
  });

  test('histogram buckets are cumulative with le semantics (value <= bound)', () => {
    const registry = createRegistry();
    const metrics = new MetricsCollector(registry);
    for (const v of [0.2, 0.2000001, 0.5, 1, 11])
      metrics.recordWebhook('calcom', 'BOOKING_CREATED', 'processed', v);
    const { samples } = readExposition(registry.expose());
    const bucket = (le: string) =>
      sampleValue(samples, 'askproai_webhook_processing_duration_seconds_bucket', {
        provider: 'calcom',
        event: 'BOOKING_CREATED',
        le,
      });
    assert.equal(bucket('0.1'), 0);
    assert.equal(bucket('0.25'), 2);
    assert.equal(bucket('0.5'), 3);
    assert.equal(bucket('1'), 4);
    assert.equal(bucket('10'), 4);
    assert.equal(bucket('+Inf'), 5);
  });

  test('definitions are checked at registration with messages that name the problem', () => {
    const registry = createRegistry();
    assert.throws(
      () => registry.counter({ name: 'bad name_total', type: 'counter', help: 'h', labels: [] }),
      /Invalid metric name/,
    );
    assert.throws(
      () => registry.counter({ name: 'x_total', type: 'counter', help: 'h', labels: ['le'] }),
      /Invalid label name "le"/,
    );
    assert.throws(
      () => registry.counter({ name: 'no_suffix', type: 'counter', help: 'h', labels: [] }),
      /must end in _total/,
    );
    assert.throws(
      () => registry.gauge({ name: 'thing_total', type: 'gauge', help: 'h', labels: [] }),
      /Only counters/,
    );
    assert.throws(
      () =>
        registry.histogram({
          name: 'h_seconds',
          type: 'histogram',
          help: 'h',
          labels: [],
          buckets: [1, 0.5],
        }),
      /strictly ascending/,
    );
  });

  test('METRICS_ENABLED=false makes every recording a no-op', () => {
    const registry = createRegistry();
    const metrics = new MetricsCollector(registry, { enabled: false });
    metrics.recordBooking('confirmed', 'phone');
    metrics.recordCall('completed', 'cmp_1');
    metrics.recordWebhook('retell', 'call_ended', 'processed', 0.1);
    metrics.recordError('x', 'critical');
    // The families still announce themselves (HELP/TYPE), but hold no sample.
    const { samples } = readExposition(registry.expose());
    assert.deepEqual(
      samples.filter((s) => /^askproai_(calls|bookings|webhooks|errors)_total$/.test(s.name)),
      [],
    );
  });

  test('recording never throws, whatever a JavaScript caller passes', () => {
    const registry = createRegistry();
    const metrics = new MetricsCollector(registry);
    const hostile = [undefined, null, {}, [], Symbol('s'), () => 1, 10n, 'x'.repeat(1e5)];
    for (const v of hostile) {
      // biome-ignore lint/suspicious/noExplicitAny: deliberately untyped input
      const any = v as any;
      assert.doesNotThrow(() => metrics.recordCall(any, any));
      assert.doesNotThrow(() => metrics.recordWebhook(any, any, any, any));
      assert.doesNotThrow(() => metrics.updateQueueSize(any, any));
    }
    assert.doesNotThrow(() => readExposition(registry.expose()));
  });
});
