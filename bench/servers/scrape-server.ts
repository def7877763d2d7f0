/**
 * A server with a large registry, for bench/scrape-blocking.ts:
 * `node --import tsx bench/servers/scrape-server.ts <variant> <histogram series>`. Variants:
 * `sliced` (ours as served: sliced rendering, gzip on the thread pool), `single` (ours rendered in one
 * go, as before), `prom-client` (`await register.metrics()`, gzip on the thread pool). Serves
 * /api/metrics, /api/health and /__bench/loop (the event loop's longest block since the last call, in
 * wall-clock time and in the main thread's own CPU time).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import client from 'prom-client';
import { createMetricsEndpoint } from '../../src/metrics/endpoint.ts';
import { nodeMetricsHandler } from '../../src/metrics/http/node.ts';
import { fillHistograms, histogramLabelSets, oursRegistry, promHistogram } from '../lib/populate.ts';
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
const schedstat = `/proc/self/task/${process.pid}/schedstat`;
const runMs = () => {
  // The scheduler folds a running thread's time into schedstat only at a tick or a context switch;
  // getrusage (process.cpuUsage) brings the calling thread's figure up to date first.
  process.cpuUsage();
  return Number(readFileSync(schedstat, 'latin1').split(' ')[0]) / 1e6;
};
let lastRun = runMs();
let cpuMaxMs = 0;
setInterval(() => {
  const run = runMs();
  cpuMaxMs = Math.max(cpuMaxMs, run - lastRun);
  lastRun = run;
}, 1).unref();
const server = createServer((req, res) => {
  if (req.url === '/api/metrics') {
    req.headers.authorization = `Bearer ${TOKEN}`;
    return metrics(req, res);
  }
  if (req.url === '/__bench/loop') {
    const body = JSON.stringify({ maxMs: loop.max / 1e6, p99Ms: loop.percentile(99) / 1e6, cpuMaxMs });
    loop.reset();
    cpuMaxMs = 0;
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(body);
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"status":"ok"}');
});
server.listen(0, '127.0.0.1', () => announce(server.address()));
