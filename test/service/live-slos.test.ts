// The alerting's SLO specs shown in the live view: every spec converts, compiles against the catalog,
// and counts the same events its PromQL matchers select (demo and unmatched routes left out, 5xx bad,
// the latency bucket at 0.5 s, webhook outcomes).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricsCollector } from '../../src/metrics/collector.ts';
import { HttpMetrics } from '../../src/metrics/http/core.ts';
import { LiveHistory } from '../../src/metrics/live/history.ts';
import { createRegistry } from '../../src/metrics/registry.ts';
import { sloSpecs } from '../../src/monitoring/slo/specs.ts';
import { liveSlosFromSpecs } from '../../src/service/live-slos.ts';

test('every SLO spec converts and counts what its matchers select', () => {
  const slos = liveSlosFromSpecs(sloSpecs);
  assert.deepEqual(
    slos.map((s) => s.name),
    sloSpecs.map((s) => s.name),
  );
  const registry = createRegistry();
  const http = new HttpMetrics(registry);
  const collector = new MetricsCollector(registry);
  let clock = 0;
  const history = new LiveHistory(registry, { now: () => clock, slos });
  history.sample(clock);
  for (let i = 0; i < 8; i++) http.route('/api/bookings')!.record('GET', 200, 0.05);
  http.route('/api/bookings')!.record('POST', 503, 0.9);
  http.route('/api/bookings/:id')!.record('GET', 500, 0.7);
  for (let i = 0; i < 5; i++) http.route('/api/fail')!.record('GET', 500, 0.01); // demo: not counted
  http.unmatched().record('GET', 404, 0.001); // scanners: not counted
  http.route('/api/webhooks/retell')!.record('POST', 401, 30); // a client's slow upload: not counted
  collector.recordWebhook('retell', 'call_ended', 'processed', 0.1);
  collector.recordWebhook('retell', 'call_ended', 'rejected', 0.1);
  collector.recordWebhook('calcom', 'BOOKING_CREATED', 'failed', 0.1);
  collector.recordWebhook('calcom', 'BOOKING_CREATED', 'duplicate', 0.1);
  collector.recordWebhook('calcom', 'BOOKING_CREATED', 'unknown_tenant', 0.1);
  clock = 60_000;
  const byName = Object.fromEntries(
    history.sloStatuses(history.readColumns(), clock).map((s) => [s.name, s]),
  );
  assert.deepEqual([byName['api-availability']!.good, byName['api-availability']!.total], [8, 10]);
  assert.deepEqual([byName['api-latency']!.good, byName['api-latency']!.total], [8, 10]);
  // processed + duplicate are good, failed bad; rejected (unsigned: anyone's to send) and unknown_tenant
  // are no events.
  assert.deepEqual([byName['webhook-success']!.good, byName['webhook-success']!.total], [2, 3]);
  assert.deepEqual([byName['booking-pipeline']!.good, byName['booking-pipeline']!.total], [1, 2]);
  assert.ok(Math.abs(byName['api-availability']!.burnRate! - 0.2 / (1 - 0.999)) < 1e-9);
});

test('a matcher the view cannot read fails with the SLO named', () => {
  const [first] = sloSpecs;
  const broken = {
    ...first!,
    sli: { total: { metric: first!.sli.total.metric, matchers: ['status>"5"'] }, bad: first!.sli.total },
  };
  assert.throws(
    () => liveSlosFromSpecs([broken]),
    /SLO "api-availability" total: cannot read the label matcher/,
  );
});
