/**
 * Memory per series: heapUsed growth after creating N series, ours against prom-client. Every
 * measurement runs in a fresh process (`--expose-gc`) so neither side sees the other's heap; label
 * values are generated before the first reading, so only what the library keeps is counted.
 *
 * Run: `BENCH_MODE=quick node --import tsx bench/memory.ts`
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import client from 'prom-client';
import { catalog } from '../src/metrics/catalog.ts';
import { log, pick, writeResult } from './lib/output.ts';
import {
  BENCH_CALLS_TOTAL,
  counterLabelSets,
  fillCounters,
  fillHistograms,
  histogramLabelSets,
  oursRegistry,
  promCounter,
  promHistogram,
} from './lib/populate.ts';
import { median, ratio, round } from './lib/stats.ts';

type Variant = 'ours-counter' | 'prom-counter' | 'ours-histogram' | 'prom-histogram';
const VARIANTS: readonly Variant[] = ['ours-counter', 'prom-counter', 'ours-histogram', 'prom-histogram'];
const COUNTER_SERIES = 100_000;
const HISTOGRAM_SERIES = 10_000;

/**
 * Collected heap plus ArrayBuffer backing stores: typed arrays larger than 64 bytes (a histogram's
 * bucket counts) live outside the V8 heap and would otherwise go uncounted.
 */
function settle(): { heap: number; buffers: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('the memory child needs --expose-gc');
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
}

/** Runs in the child: creates the series and prints the bytes per series. */
function child(variant: Variant): void {
  const counter = variant.endsWith('counter');
  const n = counter ? COUNTER_SERIES : HISTOGRAM_SERIES;
  const counterSets = counter ? counterLabelSets(n) : [];
  const histogramSets = counter ? [] : histogramLabelSets(n);
  // Metric objects exist before the first reading: only the series are measured.
  const ours = variant.startsWith('ours') ? oursRegistry() : undefined;
  const promRegistry = new client.Registry();
  const promC = variant === 'prom-counter' ? promCounter(promRegistry) : undefined;
  const promH = variant === 'prom-histogram' ? promHistogram(promRegistry) : undefined;
  if (ours) {
    if (counter) ours.counter(BENCH_CALLS_TOTAL);
    else ours.histogram(catalog.httpRequestDuration);
  }
  const before = settle();
  if (counter) fillCounters(counterSets, ours, promC);
  else fillHistograms(histogramSets, 1, ours, promH);
  const after = settle();
  // Keep everything reachable until after the reading.
  (globalThis as Record<string, unknown>).__keep = [ours, promRegistry, counterSets, histogramSets];
  const heap = (after.heap - before.heap) / n;
  const buffers = (after.buffers - before.buffers) / n;
  process.stdout.write(
    JSON.stringify({ variant, series: n, heap, buffers, bytesPerSeries: heap + buffers }) + '\n',
  );
}

function parent(): void {
  const rounds = pick(1, 3);
  const script = fileURLToPath(import.meta.url);
  const empty = (): Record<Variant, number[]> => ({
    'ours-counter': [],
    'prom-counter': [],
    'ours-histogram': [],
    'prom-histogram': [],
  });
  const bytes = empty();
  const heapOnly = empty();
  for (let r = 0; r < rounds; r++) {
    for (const variant of VARIANTS) {
      const out = execFileSync(
        process.execPath,
        ['--expose-gc', '--import', 'tsx', script, 'child', variant],
        {
          encoding: 'utf8',
        },
      );
      const parsed = JSON.parse(out.trim().split('\n').pop()!) as {
        bytesPerSeries: number;
        heap: number;
        buffers: number;
      };
      bytes[variant].push(parsed.bytesPerSeries);
      heapOnly[variant].push(parsed.heap);
      log(
        `memory round ${r + 1}/${rounds}: ${variant} ${parsed.bytesPerSeries.toFixed(0)} B/series ` +
          `(heap ${parsed.heap.toFixed(0)}, array buffers ${parsed.buffers.toFixed(0)})`,
      );
    }
  }
  const m = (v: Variant) => round(median(bytes[v]), 0);
  const h = (v: Variant) => round(median(heapOnly[v]), 0);
  const entry = (series: number, ours: Variant, prom: Variant) => ({
    series,
    ours: m(ours),
    promClient: m(prom),
    oursHeapOnly: h(ours),
    promClientHeapOnly: h(prom),
    ratio: ratio(m(ours), m(prom)),
  });
  const result = {
    rounds,
    counter: entry(COUNTER_SERIES, 'ours-counter', 'prom-counter'),
    histogram: entry(HISTOGRAM_SERIES, 'ours-histogram', 'prom-histogram'),
  };
  writeResult('memory', result);
  log(
    `memory: counter ${result.counter.ours} vs ${result.counter.promClient} B, histogram ${result.histogram.ours} vs ${result.histogram.promClient} B`,
  );
}

if (process.argv[2] === 'child') child(process.argv[3] as Variant);
else parent();
