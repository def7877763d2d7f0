/**
 * A server with a large registry, for bench/scrape-blocking.ts:
 * `node --import tsx bench/servers/scrape-server.ts <variant> <histogram series>`. Variants:
 * `sliced` (ours as served: sliced rendering, gzip on the thread pool), `single` (ours rendered in one
 * go, as before), `prom-client` (`await register.metrics()`, gzip on the thread pool). Serves
 * /api/metrics, /api/health and /__bench/loop (since the last call: the event loop's longest block in
 * wall-clock time and in the main thread's own CPU time, the longest own-CPU block less the pauses of
 * V8's garbage collector inside it, and the collector's pauses).
 */
import { createServer } from 'node:http';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import client from 'prom-client';
import { createMetricsEndpoint } from '../../src/metrics/endpoint.ts';
import { nodeMetricsHandler } from '../../src/metrics/http/node.ts';
import { fillHistograms, histogramLabelSets, oursRegistry, promHistogram } from '../lib/populate.ts';
import { mainThreadSchedstat } from '../lib/proc.ts';
import { announce, exitOnSignal, variantArg } from './shared.ts';

const gzip = promisify(gzipCb);
const TOKEN = 'bench-token-0123456789abcdef0123456789';
exitOnSignal();
const variant = variantArg(['sliced', 'single', 'prom-client'] as const);
const series = Number(process.argv[3] ?? 10_000);
const sets = histogramLabelSets(series);

let metrics: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;
if (variant === 'prom-client') {
  const registry = new client.Registry();
  fillHistograms(sets, 5, undefined, promHistogram(registry));
  metrics = (_req, res) => {
    registry.metrics().then(async (text) => {
      const body = await gzip(text);
      res.writeHead(200, { 'content-type': registry.contentType, 'content-encoding': 'gzip' });
      res.end(body);
    });
  };
} else {
  const registry = oursRegistry();
  fillHistograms(sets, 5, registry);
  metrics = nodeMetricsHandler(
    createMetricsEndpoint({
      registry,
      tokens: [TOKEN],
      ...(variant === 'single' ? { render: (f) => registry.expose(f) } : {}),
    }),
  );
}

const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();

/**
 * The main thread's own CPU time between two turns of a 1 ms interval probe, from the scheduler's
 * per-thread accounting (`/proc/self/task/<tid>/schedstat`, ns; the main thread's tid is the pid).
 * Unlike the wall-clock delay it leaves out the time the thread waited for a CPU, so it shows how long
 * the code itself held the event loop on a machine that is also running the load generator and gzip.
 */
const runMs = () => {
  // The scheduler folds a running thread's time into schedstat only at a tick or a context switch;
  // getrusage (process.cpuUsage) brings the calling thread's figure up to date first.
  process.cpuUsage();
  return mainThreadSchedstat()[0] / 1e6;
};
let lastRun = runMs();
let lastAt = performance.now();
let cpuMaxMs = 0;
/**
 * The longest stretches between two probe turns (own CPU time and when), kept to take the pauses of
 * V8's garbage collector out of them when asked: the collector's entries arrive a little after the
 * pause, so the two are matched only at report time.
 */
const KEEP = 64;
let stretches: Array<{ cpuMs: number; from: number; to: number }> = [];
const pauses: Array<{ from: number; to: number; major: boolean }> = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
    pauses.push({
      from: e.startTime,
      to: e.startTime + e.duration,
      major: kind === constants.NODE_PERFORMANCE_GC_MAJOR,
    });
  }
}).observe({ entryTypes: ['gc'] });
setInterval(() => {
  const run = runMs();
  const at = performance.now();
  const cpuMs = run - lastRun;
  cpuMaxMs = Math.max(cpuMaxMs, cpuMs);
  if (cpuMs > 1) {
    stretches.push({ cpuMs, from: lastAt, to: at });
    if (stretches.length > 4 * KEEP) stretches = stretches.sort((a, b) => b.cpuMs - a.cpuMs).slice(0, KEEP);
  }
  lastRun = run;
  lastAt = at;
}, 1).unref();

/**
 * Since the last call: the longest own-CPU block once the GC pauses inside it are taken off (what the
 * code itself held the loop for), the longest pause, and how many collections were major.
 */
function gcSplit(): { cpuMaxLessGcMs: number; gcMaxMs: number; majorGcs: number; minorGcs: number } {
  let cpuMaxLessGcMs = 0;
  for (const s of stretches) {
    let inside = 0;
    for (const p of pauses) inside += Math.max(0, Math.min(p.to, s.to) - Math.max(p.from, s.from));
    cpuMaxLessGcMs = Math.max(cpuMaxLessGcMs, s.cpuMs - inside);
  }
  const split = {
    cpuMaxLessGcMs,
    gcMaxMs: Math.max(0, ...pauses.map((p) => p.to - p.from)),
    majorGcs: pauses.filter((p) => p.major).length,
    minorGcs: pauses.filter((p) => !p.major).length,
  };
  stretches = [];
  pauses.length = 0;
  return split;
}
const server = createServer((req, res) => {
  if (req.url === '/api/metrics') {
    req.headers.authorization = `Bearer ${TOKEN}`;
    return metrics(req, res);
  }
  if (req.url === '/__bench/loop') {
    const body = JSON.stringify({
      maxMs: loop.max / 1e6,
      p99Ms: loop.percentile(99) / 1e6,
      cpuMaxMs,
      ...gcSplit(),
    });
    loop.reset();
    cpuMaxMs = 0;
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(body);
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"status":"ok"}');
});
server.listen(0, '127.0.0.1', () => announce(server.address()));
