/**
 * A server with a large registry, for bench/scrape-blocking.ts:
 * `node --import tsx bench/servers/scrape-server.ts <variant> <histogram series>`. Variants:
 * `sliced` (ours as served: sliced rendering, gzip on the thread pool), `single` (ours rendered in one
 * go, as before), `prom-client` (`await register.metrics()`, gzip on the thread pool). Serves
 * /api/metrics, /api/health and /__bench/loop (the event loop's longest block since the last call).
 */
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
const server = createServer((req, res) => {
  if (req.url === '/api/metrics') {
    req.headers.authorization = `Bearer ${TOKEN}`;
    return metrics(req, res);
  }
  if (req.url === '/__bench/loop') {
    const body = JSON.stringify({ maxMs: loop.max / 1e6, p99Ms: loop.percentile(99) / 1e6 });
    loop.reset();
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(body);
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"status":"ok"}');
});
server.listen(0, '127.0.0.1', () => announce(server.address()));
