/**
 * Scrape cost: how long rendering the text exposition blocks the event loop, ours
 * (`registry.expose('text')`, synchronous) against prom-client (`await register.metrics()`, which only
 * chains microtasks, so the whole await blocks the loop too; checked below with a setImmediate that
 * must not run in between). Two sizes from the issue: 10k histogram series and 100k counter series.
 * Before timing, both expositions are parsed and compared sample by sample: same data, same meaning.
 *
 * Run: `BENCH_MODE=quick node --expose-gc --import tsx bench/scrape.ts`
 */
import client from 'prom-client';
import { readExposition, sampleMap } from '../src/metrics/exposition-reader.ts';
import { log, pick, writeResult } from './lib/output.ts';
import {
  counterLabelSets,
  fillCounters,
  fillHistograms,
  histogramLabelSets,
  oursRegistry,
  promCounter,
  promHistogram,
} from './lib/populate.ts';
import { median, ratio, round } from './lib/stats.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('Run with --expose-gc: every sample starts from a collected heap');

interface Sample {
  ms: number;
  yielded: boolean;
}

async function timeIt(render: () => string | Promise<string>): Promise<Sample> {
  gc!();
  let yielded = false;
  const immediate = setImmediate(() => {
    yielded = true;
  });
  const t0 = performance.now();
  const out = await render();
  const ms = performance.now() - t0;
  clearImmediate(immediate);
  if (out.length === 0) throw new Error('empty exposition');
  return { ms, yielded };
}

async function scenario(
  name: string,
  series: number,
  fill: (ours: ReturnType<typeof oursRegistry>, prom: client.Registry) => void,
) {
  const ours = oursRegistry();
  const prom = new client.Registry();
  fill(ours, prom);
  const oursText = ours.expose('text');
  const promText = await prom.metrics();
  const diffs = sampleDifferences(oursText, promText);
  if (diffs.length > 0) throw new Error(`${name}: expositions differ in meaning: ${diffs.join('; ')}`);
  log(`${name}: ${series} series, expositions agree (${oursText.length} vs ${promText.length} bytes)`);

  const warmup = pick(2, 3);
  const samples = pick(5, 15);
  const oursMs: number[] = [];
  const promMs: number[] = [];
  let promYielded = false;
  for (let i = 0; i < warmup + samples; i++) {
    // Alternate which side goes first so neither always inherits the other's garbage.
    const a = i % 2 === 0;
    const first = a ? await timeIt(() => ours.expose('text')) : await timeIt(() => prom.metrics());
    const second = a ? await timeIt(() => prom.metrics()) : await timeIt(() => ours.expose('text'));
    const o = a ? first : second;
    const p = a ? second : first;
    if (i < warmup) continue;
    oursMs.push(o.ms);
    promMs.push(p.ms);
    promYielded ||= p.yielded;
  }
  const result = {
    series,
    bytes: { ours: oursText.length, promClient: promText.length },
    equivalent: true,
    samples,
    oursMs: round(median(oursMs), 2),
    promClientMs: round(median(promMs), 2),
    speedup: round(median(promMs) / median(oursMs), 2),
    ratio: ratio(median(oursMs), median(promMs)),
    promClientYieldedToEventLoop: promYielded,
  };
  log(`${name}: ours ${result.oursMs} ms, prom-client ${result.promClientMs} ms, ${result.speedup}x`);
  return result;
}

const histogramSeries = 10_000;
const counterSeries = 100_000;
const histograms = await scenario('histograms', histogramSeries, (ours, prom) => {
  fillHistograms(histogramLabelSets(histogramSeries), 3, ours, promHistogram(prom));
});
const counters = await scenario('counters', counterSeries, (ours, prom) => {
  fillCounters(counterLabelSets(counterSeries), ours, promCounter(prom));
});
writeResult('scrape', { histograms, counters });

/** Describes the first differences between two expositions, or returns an empty list when they agree. */
function sampleDifferences(a: string, b: string, limit = 5): string[] {
  const sa = sampleMap(readExposition(a).samples);
  const sb = sampleMap(readExposition(b).samples);
  const diffs: string[] = [];
  if (sa.size !== sb.size) diffs.push(`sample count ${sa.size} vs ${sb.size}`);
  for (const [k, v] of sa) {
    if (diffs.length >= limit) break;
    const w = sb.get(k);
    if (w === undefined) diffs.push(`missing in second: ${k}`);
    else if (w !== v && Math.abs(w - v) > 1e-9 * Math.max(Math.abs(v), 1)) diffs.push(`${k}: ${v} vs ${w}`);
  }
  return diffs;
}
