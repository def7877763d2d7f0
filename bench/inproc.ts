/**
 * Request path in process: what each adapter adds to a request handled by Express 5, Fastify 5 and
 * a node:http listener, with the sockets, the kernel and the load generator taken out. Every variant
 * is a real `http.Server` (Node's parser, IncomingMessage and ServerResponse) fed through an
 * in-memory socket (bench/lib/memory-socket.ts), all in this one process. In each round every
 * variant of a framework handles the same pipelined batches in a rotated order, after a minor GC;
 * a variant's cost is its process CPU time per request, and "added" is its difference to the same
 * round's baseline. Reported: the median over rounds with a bootstrap 95% interval.
 *
 * `--callgrind <framework> <variant>` instead runs passes of one variant between markers for
 * `valgrind --tool=callgrind` (bench/callgrind.ts drives it): instruction counts do not depend on what
 * else the machine does.
 *
 * Run: `BENCH_MODE=quick node --expose-gc --import tsx bench/inproc.ts`
 */
import { getPriority } from 'node:os';
import client from 'prom-client';
import { bootstrap, type Interval, medianOf, prng, verdictAtMost } from './lib/bootstrap.ts';
import { MemoryClient, requestBatch } from './lib/memory-socket.ts';
import { log, pick, writeResult } from './lib/output.ts';
import { round } from './lib/stats.ts';
import { buildExpress, EXPRESS_VARIANTS } from './servers/express-app.ts';
import { buildFastify, FASTIFY_VARIANTS } from './servers/fastify-app.ts';
import { buildNode, NODE_VARIANTS } from './servers/node-app.ts';
import { URLS } from './servers/shared.ts';

export type Framework = 'express' | 'fastify' | 'node';
export interface Variant {
  framework: Framework;
  variant: string;
  label: string;
  client: MemoryClient;
  stats: () => string | Promise<string>;
}

const LABELS: Record<string, string> = {
  'express/baseline': 'Express 5, no metrics',
  'express/ours': 'ours (instrumentExpress)',
  'express/ours-middleware': 'ours as a middleware layer (expressMetrics)',
  'express/bundle': 'express-prom-bundle 8',
  'express/prom-client': 'prom-client middleware',
  'fastify/baseline': 'Fastify 5, no metrics',
  'fastify/ours': 'ours (fastifyMetrics)',
  'fastify/fastify-metrics': 'fastify-metrics 13.2.1',
  'fastify/prom-client': 'prom-client onResponse hook',
  'node/baseline': 'node:http, no metrics',
  'node/ours': 'ours (instrumentHandler)',
  'node/prom-client': 'prom-client wrapper',
};

/** Absolute targets of the issue, µs added per request (node:http has none; it is shown for reference). */
export const TARGET_US: Partial<Record<Framework, number>> = { express: 3, fastify: 1 };

/** Every variant, or those named (`framework/variant`). */
export async function buildVariants(only?: readonly string[]): Promise<Variant[]> {
  const out: Variant[] = [];
  const add = (framework: Framework, variant: string, listener: MemoryClient, stats: Variant['stats']) =>
    out.push({ framework, variant, label: LABELS[`${framework}/${variant}`]!, client: listener, stats });
  const wanted = (framework: Framework, variant: string) =>
    only === undefined || only.includes(`${framework}/${variant}`);
  for (const v of EXPRESS_VARIANTS) {
    if (!wanted('express', v)) continue;
    const { app, stats } = buildExpress(v, new client.Registry());
    add('express', v, new MemoryClient(app), stats);
  }
  for (const v of FASTIFY_VARIANTS) {
    if (!wanted('fastify', v)) continue;
    const { app, stats } = await buildFastify(v, new client.Registry());
    // The handler Fastify attached to its own http.Server: routing, hooks and all.
    const handler = app.server.listeners('request')[0] as (req: unknown, res: unknown) => void;
    add('fastify', v, new MemoryClient(handler), stats);
  }
  for (const v of NODE_VARIANTS) {
    if (!wanted('node', v)) continue;
    const { listener, stats } = buildNode(v, new client.Registry());
    add('node', v, new MemoryClient(listener), stats);
  }
  return out;
}

const BATCH = requestBatch(URLS);
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Drives `batches` pipelined batches of the URL mix through a variant. */
export async function drive(v: Variant, batches: number): Promise<void> {
  for (let i = 0; i < batches; i++) await v.client.send(BATCH, URLS.length);
  // Let the last responses' finish and close events run inside this measurement.
  await tick();
}

/** Every variant answered 200 and 404, and only the instrumented ones recorded the bookings route. */
export async function check(variants: Variant[]): Promise<void> {
  for (const v of variants) {
    if (!v.client.statuses.get(200) || !v.client.statuses.get(404))
      throw new Error(
        `${v.framework}/${v.variant}: unexpected statuses ${JSON.stringify([...v.client.statuses])}`,
      );
    const text = await v.stats();
    const recorded = text.includes('bookings');
    if (v.variant === 'baseline' ? recorded : !recorded)
      throw new Error(`${v.framework}/${v.variant}: unexpected exposition: ${text.slice(0, 300)}`);
    if (v.variant.startsWith('ours') && !/endpoint="unmatched",status="404"/.test(text))
      throw new Error(`${v.framework}/ours did not record the 404 as unmatched: ${text.slice(0, 600)}`);
    if (/status="499"/.test(text))
      throw new Error(`${v.framework}/${v.variant} recorded a finished request as aborted`);
  }
}

const gc = (globalThis as { gc?: (o?: unknown) => void }).gc;
const minorGc = () => gc?.({ type: 'minor' });

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

async function measure(): Promise<void> {
  const rounds = pick(24, 80);
  const batches = pick(60, 100);
  const warmup = pick(300, 600);
  const variants = await buildVariants();
  log(
    `in-process request path: ${variants.length} variants, ${rounds} rounds of ${batches * URLS.length} requests each`,
  );
  for (const v of variants) await drive(v, warmup);
  await check(variants);

  const perRequest: Record<string, number[]> = {};
  for (const v of variants) perRequest[`${v.framework}/${v.variant}`] = [];
  const random = prng(7);
  const requests = batches * URLS.length;
  for (let r = 0; r < rounds; r++) {
    for (const framework of ['express', 'fastify', 'node'] as const) {
      const group = variants.filter((v) => v.framework === framework);
      // A fresh random order each round, so no variant always follows the same one.
      const order = group.map((v) => ({ v, k: random() })).sort((a, b) => a.k - b.k);
      for (const { v } of order) {
        minorGc();
        const c0 = cpuMicros();
        await drive(v, batches);
        perRequest[`${v.framework}/${v.variant}`]!.push((cpuMicros() - c0) / requests);
      }
    }
    if ((r + 1) % 10 === 0) log(`in-process round ${r + 1}/${rounds}`);
  }
  await check(variants);

  const frameworks: Record<string, unknown> = {};
  for (const framework of ['express', 'fastify', 'node'] as const) {
    const group = variants.filter((v) => v.framework === framework);
    const base = perRequest[`${framework}/baseline`]!;
    const series: Record<string, number[]> = {};
    const stats: Record<string, (s: Record<string, number[]>) => number> = {};
    for (const v of group) {
      const k = v.variant;
      series[`cpu:${k}`] = perRequest[`${framework}/${k}`]!;
      stats[`cpu:${k}`] = medianOf(`cpu:${k}`);
      if (k === 'baseline') continue;
      series[`added:${k}`] = series[`cpu:${k}`]!.map((x, i) => x - base[i]!);
      stats[`added:${k}`] = medianOf(`added:${k}`);
    }
    // Our other ways of installing (Express's middleware form) are shown, but are not peers.
    const peers = group
      .filter((v) => v.variant !== 'baseline' && !v.variant.startsWith('ours'))
      .map((v) => v.variant);
    for (const p of peers) {
      stats[`ratio:${p}`] = (s) => medianOf('added:ours')(s) / medianOf(`added:${p}`)(s);
    }
    const ci = bootstrap(series, stats);
    const fig = (i: Interval) => ({ value: round(i.value, 3), low: round(i.low, 3), high: round(i.high, 3) });
    const cheapest = peers.reduce((a, b) => (ci[`added:${a}`]!.value <= ci[`added:${b}`]!.value ? a : b));
    const ours = ci['added:ours']!;
    const cheap = ci[`added:${cheapest}`]!;
    const ratioCi = ci[`ratio:${cheapest}`]!;
    const halfVerdict =
      ratioCi.high <= 0.5 && ours.high < cheap.low ? 'pass' : ratioCi.low > 0.5 ? 'FAIL' : 'unresolved';
    const target = TARGET_US[framework];
    frameworks[framework] = {
      variants: group.map((v) => ({
        variant: v.variant,
        label: v.label,
        cpuUsPerRequest: fig(ci[`cpu:${v.variant}`]!),
        addedUs: v.variant === 'baseline' ? null : fig(ci[`added:${v.variant}`]!),
        ratioToOurs: ci[`ratio:${v.variant}`] ? fig(ci[`ratio:${v.variant}`]!) : null,
        rounds: perRequest[`${framework}/${v.variant}`]!.map((x) => round(x, 3)),
      })),
      cheapestPeer: cheapest,
      halfOfCheapestPeer: halfVerdict,
      absoluteTargetUs: target ?? null,
      absolute: target === undefined ? null : verdictAtMost(ours, target),
    };
    log(
      `${framework}: ours +${ours.value.toFixed(2)} µs [${ours.low.toFixed(2)}, ${ours.high.toFixed(2)}], ` +
        peers
          .map(
            (p) =>
              `${p} +${ci[`added:${p}`]!.value.toFixed(2)} [${ci[`added:${p}`]!.low.toFixed(2)}, ${ci[`added:${p}`]!.high.toFixed(2)}]`,
          )
          .join(', '),
    );
  }
  writeResult('inproc', {
    rounds,
    requestsPerMeasurement: requests,
    warmupRequests: warmup * URLS.length,
    urls: URLS,
    ...frameworks,
  });
}

/**
 * Under callgrind (bench/callgrind.ts): one variant per process, `--callgrind <framework> <variant>`.
 * After warm-up, each pass drives the same batches between two marker calls (os.getPriority, which
 * callgrind dumps before); no GC is forced between passes (a full GC makes V8 drop and recompile code).
 */
async function callgrindPasses(framework: string, variant: string): Promise<void> {
  const measured = Number(process.env.CALLGRIND_BATCHES ?? 60);
  const passes = Number(process.env.CALLGRIND_PASSES ?? 4);
  const v = (await buildVariants([`${framework}/${variant}`]))[0];
  if (v === undefined) throw new Error(`no variant ${framework}/${variant}`);
  await drive(v, Number(process.env.CALLGRIND_WARMUP ?? 600));
  await check([v]);
  for (let pass = 0; pass < passes; pass++) {
    getPriority();
    await drive(v, measured);
  }
  getPriority();
  process.stdout.write(`${JSON.stringify({ passes, requests: measured * URLS.length })}\n`);
}

const at = process.argv.indexOf('--callgrind');
if (at !== -1) await callgrindPasses(process.argv[at + 1]!, process.argv[at + 2]!);
else await measure();
