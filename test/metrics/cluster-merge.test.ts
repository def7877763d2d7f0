// Merging cluster workers follows each definition's declared aggregation, never its name; the engine in
// core/ registers no product metric of its own.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dumpRegistry, type FamilyDump, mergeDumps } from '../../src/metrics/cluster.ts';
import { Registry } from '../../src/metrics/core/registry.ts';
import type { MetricDef } from '../../src/metrics/core/types.ts';
import { readExposition, sampleValue } from '../../src/metrics/exposition-reader.ts';
import { createRegistry } from '../../src/metrics/registry.ts';

const gauge = (
  name: string,
  extra: Pick<MetricDef, 'aggregate' | 'scope'> = {},
): MetricDef<never, 'gauge'> => ({
  name,
  type: 'gauge',
  help: name,
  labels: [],
  ...extra,
});

const defs = {
  summed: gauge('heap_bytes'),
  // A name that once meant "take the maximum"; without a declaration it is summed like any gauge.
  stamp: gauge('last_seen_timestamp_seconds'),
  declaredMax: gauge('started_seconds', { aggregate: 'max' }),
  declaredMin: gauge('oldest_seconds', { aggregate: 'min' }),
  cluster: gauge('queue_depth', { scope: 'cluster' }),
};

function worker(values: Record<keyof typeof defs, number>): FamilyDump[] {
  const registry = new Registry({ namespace: 'w' });
  for (const [key, def] of Object.entries(defs))
    registry
      .gauge(def)
      .get()
      .set(values[key as keyof typeof defs]);
  return dumpRegistry(registry);
}

test('workers merge as their definitions declare, whatever the metric is called', () => {
  const merged = mergeDumps([
    worker({ summed: 1, stamp: 10, declaredMax: 5, declaredMin: 5, cluster: 7 }),
    worker({ summed: 2, stamp: 20, declaredMax: 9, declaredMin: 3, cluster: 7 }),
    worker({ summed: 4, stamp: 30, declaredMax: 1, declaredMin: 8, cluster: 7 }),
  ]);
  const { samples } = readExposition(merged.expose());
  assert.equal(sampleValue(samples, 'w_heap_bytes'), 7);
  assert.equal(sampleValue(samples, 'w_last_seen_timestamp_seconds'), 60);
  assert.equal(sampleValue(samples, 'w_started_seconds'), 9);
  assert.equal(sampleValue(samples, 'w_oldest_seconds'), 3);
  assert.equal(sampleValue(samples, 'w_queue_depth'), 7, 'taken once, not multiplied by the workers');
});

test('only gauges may declare an aggregation other than sum', () => {
  const registry = new Registry();
  assert.throws(
    () => registry.counter({ name: 'x_total', type: 'counter', help: 'x', labels: [], aggregate: 'max' }),
    /only gauges may aggregate across cluster workers by max/,
  );
});

test('the core registry has no namespace and no product metrics; the library wires both', () => {
  const bare = new Registry();
  bare.gauge(defs.summed).get().set(1);
  assert.deepEqual(
    [...bare.all()].map((f) => f.name),
    ['heap_bytes'],
  );
  const wired = createRegistry();
  wired.gauge(defs.summed).get().set(1);
  assert.deepEqual(
    [...wired.all()].map((f) => f.name),
    ['askproai_metrics_label_overflow_total', 'askproai_metrics_dropped_labels_total', 'askproai_heap_bytes'],
  );
});
