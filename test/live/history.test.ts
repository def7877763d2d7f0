// The live view's history: its memory stays within the stated bound whatever the traffic (1,000
// routes x methods x statuses), the route table looks back over its window, SLO burn rates come from
// the last hour of the ring, and bad SLO definitions fail with a message naming what is wrong.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MetricsCollector } from '../../src/metrics/collector.ts';
import { HttpMetrics } from '../../src/metrics/http/core.ts';
import { LiveHistory, memoryBound } from '../../src/metrics/live/history.ts';
import type { LiveSlo } from '../../src/metrics/live/slo.ts';
import { createRegistry } from '../../src/metrics/registry.ts';

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];
const STATUSES = [200, 404, 500, 503];

describe('memory bound', () => {
  test('the default bound is a few MB and independent of traffic', () => {
    const bound = memoryBound();
    assert.ok(bound < 3 * 1024 * 1024, `default bound ${bound} bytes`);
    assert.equal(memoryBound(), bound);
  });

  test('1,000 routes x 5 methods x 4 statuses and 1,000 queues stay within the bound over more than an hour', () => {
    // Caps high enough that every label set becomes its own series: the worst case for the reader.
    const registry = createRegistry({ maxSeries: 25_000 });
    const http = new HttpMetrics(registry);
    const collector = new MetricsCollector(registry);
    let clock = 1_700_000_000_000;
    const record = (round: number) => {
      for (let r = 0; r < 1000; r++) {
        const route = http.route(`/api/route-${r}/:id`)!;
        for (const m of METHODS) for (const s of STATUSES) route.record(m, s, ((r + round) % 40) / 100);
      }
      for (let q = 0; q < 1000; q++) collector.updateQueueSize(`queue-${q}`, q + round);
      collector.recordWebhook('retell', 'call_ended', 'processed', 0.1);
    };
    record(0);
    const before = heapAfterGc();
    const history = new LiveHistory(registry, { now: () => clock });
    const bound = history.memoryBound();
    const samples = history.ring.capacity + 100;
    for (let i = 0; i < samples; i++) {
      if (i % 100 === 0) record(i);
      history.sample(clock);
      clock += history.options.intervalMs;
    }
    const after = heapAfterGc();
    assert.equal(history.ring.size, history.ring.capacity, 'the ring wrapped around');
    assert.ok(history.ring.refusedColumns > 0, 'queues past the column cap were refused');
    assert.ok(history.bytes() <= bound, `accounted ${history.bytes()} <= bound ${bound}`);
    assert.ok(after - before <= bound, `heap grew ${after - before} bytes, bound ${bound}`);
    const rows = history.routes.current(clock);
    assert.equal(rows.length, history.options.maxRoutes);
    assert.equal(rows.at(-1)!.route, '(other routes)');
    // Every request is counted somewhere: the table's totals equal the registry's.
    const counted = rows.reduce((a, r) => a + r.requests, 0);
    assert.equal(counted, 1000 * METHODS.length * STATUSES.length * 10);
  });
});

describe('route window', () => {
  test('rate, errors and buckets cover the last five minutes; totals cover everything', () => {
    const registry = createRegistry();
    const http = new HttpMetrics(registry);
    let clock = 0;
    const history = new LiveHistory(registry, { now: () => clock });
    const route = http.route('/api/bookings/:id')!;
    for (let i = 0; i < 100; i++) route.record('GET', 500, 2);
    history.sample(clock);
    clock = 10 * 60_000;
    history.sample(clock);
    for (let i = 0; i < 30; i++) route.record('GET', 200, 0.04);
    clock += 60_000;
    const [row] = history.routes.current(clock);
    assert.equal(row!.requests, 130);
    assert.equal(row!.windowRequests, 30);
    assert.equal(row!.windowServerErrors, 0);
    assert.equal(row!.windowSeconds, 60);
    assert.equal(
      row!.windowBuckets.reduce((a, b) => a + b, 0),
      30,
    );
  });
});

describe('SLOs', () => {
  const availability: LiveSlo = {
    name: 'api-availability',
    objective: 0.99,
    good: { metric: 'http_requests_total', labels: { status: { not: { pattern: '5..' } } } },
    total: { metric: 'http_requests_total' },
  };
  const latency: LiveSlo = {
    name: 'api-latency',
    objective: 0.9,
    good: { metric: 'http_request_duration_seconds', le: 0.5 },
    total: { metric: 'http_request_duration_seconds' },
  };

  test('burn rate and budget over the last hour of the ring', () => {
    const registry = createRegistry();
    const http = new HttpMetrics(registry);
    let clock = 0;
    const history = new LiveHistory(registry, { now: () => clock, slos: [availability, latency] });
    const route = http.route('/api/bookings')!;
    history.sample(clock);
    for (let i = 0; i < 100; i++) route.record('POST', 201, 0.1);
    clock = 30 * 60_000;
    history.sample(clock);
    clock = 61 * 60_000;
    for (let i = 0; i < 100; i++) route.record('POST', 201, 0.1);
    for (let i = 0; i < 10; i++) route.record('POST', 503, 1);
    history.sample(clock);
    const [avail, lat] = history.sloStatuses(history.readColumns(), clock);
    // Only what happened since the sample at 30 min counts: 110 requests, 10 bad.
    assert.equal(avail!.total, 110);
    assert.equal(avail!.good, 100);
    assert.ok(Math.abs(avail!.burnRate! - 10 / 110 / 0.01) < 1e-9, `burn ${avail!.burnRate}`);
    assert.equal(avail!.windowSeconds, 31 * 60);
    assert.ok(Math.abs(avail!.budgetUsed! - (avail!.burnRate! * 31 * 60) / (30 * 86_400)) < 1e-12);
    assert.equal(lat!.good, 100);
    assert.equal(lat!.total, 110);
  });

  test('a bad definition fails at construction and names the problem', () => {
    const registry = createRegistry();
    const make = (slo: LiveSlo) => () => new LiveHistory(registry, { slos: [slo] });
    assert.throws(make({ ...availability, objective: 99.9 }), /objective must be between 0 and 1/);
    assert.throws(
      make({ ...availability, total: { metric: 'http_requests' } }),
      /unknown metric "http_requests"/,
    );
    assert.throws(
      make({ ...latency, good: { metric: 'http_request_duration_seconds', le: 0.4 } }),
      /no bucket bound 0\.4/,
    );
    assert.throws(
      make({ ...availability, good: { metric: 'http_requests_total', le: 0.5 } }),
      /"le" needs a histogram/,
    );
    assert.throws(
      make({ ...availability, good: { metric: 'http_requests_total', labels: { code: '200' } } }),
      /has no label "code"/,
    );
    assert.throws(() => new LiveHistory(registry, { slos: [availability, availability] }), /defined twice/);
    assert.throws(() => new LiveHistory(registry, { intervalMs: 0 }), /intervalMs must be a positive number/);
  });
});
