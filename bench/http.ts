/**
 * Request path: server CPU per request, Express 5 and Fastify 5, each without metrics (baseline),
 * with ours and with its peers. Every variant is its own server process pinned to CPU 0; this
 * runner and autocannon are pinned to CPU 1. Variants alternate over several rounds (the order
 * rotates every round); each measurement reads the server's utime+stime from /proc/<pid>/stat
 * before and after a bounded autocannon run and divides by the responses completed. Reported:
 * medians over rounds of CPU per request and of the difference to the same round's baseline.
 *
 * Run: `BENCH_MODE=quick node --import tsx bench/http.ts`
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { bootstrap, medianOf } from './lib/bootstrap.ts';
import { log, pick, writeResult } from './lib/output.ts';
import {
  CPU_RESOLUTION,
  canPin,
  cpuSeconds,
  pinSelf,
  type Server,
  startServer,
  stopServer,
} from './lib/proc.ts';
import { median, ratio, round } from './lib/stats.ts';
import { STATS_PATH, URLS } from './servers/shared.ts';

interface Variant {
  framework: 'express' | 'fastify';
  variant: string;
  label: string;
}

const VARIANTS: Variant[] = [
  { framework: 'express', variant: 'baseline', label: 'Express 5, no metrics' },
  { framework: 'express', variant: 'ours', label: 'ours (instrumentExpress)' },
  { framework: 'express', variant: 'bundle', label: 'express-prom-bundle 8' },
  { framework: 'express', variant: 'prom-client', label: 'prom-client middleware' },
  { framework: 'fastify', variant: 'baseline', label: 'Fastify 5, no metrics' },
  { framework: 'fastify', variant: 'ours', label: 'ours (fastifyMetrics)' },
  { framework: 'fastify', variant: 'fastify-metrics', label: 'fastify-metrics 13.2.1' },
  { framework: 'fastify', variant: 'prom-client', label: 'prom-client onResponse hook' },
];

const REQUESTS = URLS.map((path) => ({ method: 'GET' as const, path }));

const CONNECTIONS = 10;
const warmupSeconds = pick(1, 3);
const roundSeconds = pick(2, 4);
const rounds = pick(2, 7);

const key = (v: Variant) => `${v.framework}/${v.variant}`;

async function load(port: number, seconds: number): Promise<{ responses: number; errors: number }> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: REQUESTS,
  });
  const responses = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'];
  return { responses, errors: result.errors + result.timeouts };
}

async function measureOnce(server: Server): Promise<{ cpuUs: number; rps: number; cpuTicks: number }> {
  const before = cpuSeconds(server.pid);
  const t0 = performance.now();
  const { responses, errors } = await load(server.port, roundSeconds);
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(server.pid) - before;
  if (errors > 0) throw new Error(`${server.name}: ${errors} errors or timeouts under load`);
  if (responses === 0) throw new Error(`${server.name}: no responses`);
  return {
    cpuUs: (cpu / responses) * 1e6,
    rps: responses / wall,
    cpuTicks: Math.round(cpu / CPU_RESOLUTION),
  };
}

/** The instrumented variants must have recorded the bookings route; a silent no-op would look fast. */
async function checkRecorded(server: Server, v: Variant): Promise<void> {
  const text = await (await fetch(`http://127.0.0.1:${server.port}${STATS_PATH}`)).text();
  const recorded = text.includes('bookings');
  if (v.variant === 'baseline' ? recorded : !recorded) {
    throw new Error(`${server.name}: unexpected exposition after the run: ${text.slice(0, 200)}`);
  }
}

const cpus = availableParallelism();
const pinned = canPin(cpus);
if (pinned) pinSelf(1);
else log('taskset or a second CPU is missing: running unpinned, figures are noisier');

const here = fileURLToPath(new URL('.', import.meta.url));
const servers = new Map<string, Server>();
const stopAll = () => Promise.all([...servers.values()].map(stopServer));
process.once('SIGINT', () => {
  void stopAll().then(() => process.exit(130));
});

try {
  for (const v of VARIANTS) {
    const server = await startServer(
      key(v),
      `${here}servers/${v.framework}.ts`,
      v.variant,
      pinned ? 0 : null,
    );
    servers.set(key(v), server);
  }
  log(`started ${servers.size} servers${pinned ? ' on CPU 0, load on CPU 1' : ''}`);
  for (const v of VARIANTS) await load(servers.get(key(v))!.port, warmupSeconds);

  const cpu: Record<string, number[]> = {};
  const added: Record<string, number[]> = {};
  const rps: Record<string, number[]> = {};
  let minTicks = Number.POSITIVE_INFINITY;
  for (const v of VARIANTS) {
    cpu[key(v)] = [];
    added[key(v)] = [];
    rps[key(v)] = [];
  }
  for (let r = 0; r < rounds; r++) {
    const thisRound: Record<string, number> = {};
    for (let k = 0; k < VARIANTS.length; k++) {
      const v = VARIANTS[(k + r) % VARIANTS.length]!;
      const m = await measureOnce(servers.get(key(v))!);
      thisRound[key(v)] = m.cpuUs;
      cpu[key(v)]!.push(m.cpuUs);
      rps[key(v)]!.push(m.rps);
      minTicks = Math.min(minTicks, m.cpuTicks);
      log(
        `http round ${r + 1}/${rounds}: ${key(v)} ${m.cpuUs.toFixed(2)} us/req, ${Math.round(m.rps)} req/s`,
      );
    }
    for (const v of VARIANTS) added[key(v)]!.push(thisRound[key(v)]! - thisRound[`${v.framework}/baseline`]!);
  }
  for (const v of VARIANTS) await checkRecorded(servers.get(key(v))!, v);

  const frameworks: Record<string, unknown> = {};
  for (const framework of ['express', 'fastify'] as const) {
    const variants = VARIANTS.filter((v) => v.framework === framework).map((v) => ({
      variant: v.variant,
      label: v.label,
      cpuUsPerRequest: round(median(cpu[key(v)]!), 2),
      addedUs: round(median(added[key(v)]!), 2),
      addedCi: (() => {
        const i = bootstrap({ a: added[key(v)]! }, { a: medianOf('a') }).a!;
        return { low: round(i.low, 2), high: round(i.high, 2) };
      })(),
      requestsPerSecond: Math.round(median(rps[key(v)]!)),
      rounds: cpu[key(v)]!.map((x) => round(x, 2)),
    }));
    const ours = variants.find((v) => v.variant === 'ours')!;
    const peers = variants
      .filter((v) => v.variant !== 'ours' && v.variant !== 'baseline')
      .map((p) => ({
        variant: p.variant,
        cpuRatio: ratio(ours.cpuUsPerRequest, p.cpuUsPerRequest),
        addedRatio: p.addedUs > 0 ? ratio(ours.addedUs, p.addedUs) : null,
      }));
    frameworks[framework] = { variants, peers };
  }
  writeResult('http', {
    pinned,
    connections: CONNECTIONS,
    rounds,
    roundSeconds,
    warmupSeconds,
    cpuResolutionMs: CPU_RESOLUTION * 1000,
    minCpuTicksPerMeasurement: minTicks,
    urls: REQUESTS.map((r) => r.path),
    ...frameworks,
  });
} finally {
  await stopAll();
}
