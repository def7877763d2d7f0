/**
 * Scrapes that never block: each variant's server (bench/servers/scrape-server.ts) holds 10k
 * histogram series and is scraped back to back (gzip, as Prometheus asks; `sliced-plain` without) while four clients call
 * /api/health on a fixed schedule (one check due every 10 ms each, latency counted from when it was due)
 * over kept-alive connections. Reported per variant: the event loop's longest block in the server, in
 * wall-clock time (monitorEventLoopDelay) and in the main thread's own CPU time (an interval probe
 * reading the scheduler's per-thread accounting), the p99 and max latency of the health checks, and
 * the median time of a scrape; and the longest own-CPU block less the pauses of V8's garbage collector
 * inside it, the longest such pause and the major collections per second. A `no-scrape` variant (the same
 * server, never scraped) gives the floor the health checks alone produce.
 * Variants alternate over rounds in one run; medians over rounds.
 *
 * Run: `BENCH_MODE=quick node --import tsx bench/scrape-blocking.ts` (`BENCH_SCRAPE_SERIES=50000` for
 * another registry size)
 */
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { log, pick, writeResult } from './lib/output.ts';
import { type Server, startServer, stopServer } from './lib/proc.ts';
import { median, round } from './lib/stats.ts';

const VARIANTS = ['sliced', 'single', 'prom-client', 'sliced-plain', 'no-scrape'] as const;
type Variant = (typeof VARIANTS)[number];
/**
 * `sliced-plain` is the `sliced` server scraped without gzip (as curl does; Prometheus asks for gzip);
 * `no-scrape` is the `sliced` server under the same health checks and never scraped: the floor, what the
 * server's loop shows without any scrape.
 */
const serverVariant = (v: Variant) => (v === 'sliced-plain' || v === 'no-scrape' ? 'sliced' : v);
const gzipped = (v: Variant) => v !== 'sliced-plain';
const scraped = (v: Variant) => v !== 'no-scrape';
/** Histogram series in each server's registry; BENCH_SCRAPE_SERIES sets another size (experiments). */
const SERIES = Number(process.env.BENCH_SCRAPE_SERIES ?? 10_000);
const roundSeconds = pick(3, 5);
const rounds = pick(2, 4);

/**
 * The health checks reuse their connections, as a load balancer's do: a new connection per check makes
 * the server's loop (and its young-generation collector) busy with connection setup alone, which
 * raises the floor that the scrapes are measured against.
 */
const healthAgent = new Agent({ keepAlive: true, maxSockets: 4 });
/** The scraper keeps its connection too, as Prometheus does. */
const scrapeAgent = new Agent({ keepAlive: true, maxSockets: 1 });
/** Each health client's schedule: one check due every this many ms (4 clients: 400 checks a second). */
const HEALTH_INTERVAL_MS = 10;

function get(
  port: number,
  path: string,
  gzip = false,
  agent: Agent | false = false,
): Promise<{ ms: number; body: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: gzip ? { 'accept-encoding': 'gzip' } : {}, agent },
      (res) => {
        // Only the small bodies are kept: a 22 MB exposition would load the runner, not the server.
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          if (path !== '/api/metrics') chunks.push(c);
        });
        res.on('end', () =>
          resolve({ ms: performance.now() - t0, body: Buffer.concat(chunks).toString('latin1') }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

async function measure(server: Server, gzip: boolean, scrape: boolean) {
  await get(server.port, '/__bench/loop');
  const until = performance.now() + roundSeconds * 1000;
  const scrapes: number[] = [];
  const health: number[] = [];
  const scraper = async () => {
    while (performance.now() < until)
      scrapes.push((await get(server.port, '/api/metrics', gzip, scrapeAgent)).ms);
  };
  // Open loop: a check is due every HEALTH_INTERVAL_MS whatever the server does, and its latency
  // counts from when it was due. A closed loop would send nothing while the server is blocked, so a
  // block of a second would cost each client one slow sample among thousands (coordinated omission).
  const checker = async () => {
    let due = performance.now();
    while (due < until) {
      const early = due - performance.now();
      if (early > 0) await new Promise((r) => setTimeout(r, early));
      await get(server.port, '/api/health', false, healthAgent);
      health.push(performance.now() - due);
      due += HEALTH_INTERVAL_MS;
    }
  };
  await Promise.all([...(scrape ? [scraper()] : []), checker(), checker(), checker(), checker()]);
  const loop = JSON.parse((await get(server.port, '/__bench/loop')).body) as {
    maxMs: number;
    cpuMaxMs: number;
    cpuMaxLessGcMs: number;
    gcMaxMs: number;
    majorGcs: number;
  };
  return {
    loopMaxMs: loop.maxMs,
    loopCpuMaxMs: loop.cpuMaxMs,
    loopCpuMaxLessGcMs: loop.cpuMaxLessGcMs,
    gcMaxMs: loop.gcMaxMs,
    majorGcs: loop.majorGcs,
    healthP99Ms: percentile(health, 0.99),
    healthMaxMs: Math.max(...health),
    scrapeMs: scrapes.length > 0 ? median(scrapes) : 0,
    scrapes: scrapes.length,
    healthChecks: health.length,
  };
}

const here = fileURLToPath(new URL('.', import.meta.url));
const servers = new Map<string, Server>();
try {
  for (const v of VARIANTS) {
    servers.set(
      v,
      await startServer(v, `${here}servers/scrape-server.ts`, serverVariant(v), null, [String(SERIES)]),
    );
  }
  for (const v of VARIANTS) if (scraped(v)) await get(servers.get(v)!.port, '/api/metrics', gzipped(v));
  const results: Record<string, Array<Awaited<ReturnType<typeof measure>>>> = {};
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < VARIANTS.length; k++) {
      const v = VARIANTS[(k + r) % VARIANTS.length]!;
      const m = await measure(servers.get(v)!, gzipped(v), scraped(v));
      results[v] = [...(results[v] ?? []), m];
      log(`scrape-blocking round ${r + 1}/${rounds}: ${v} ${JSON.stringify(m)}`);
    }
  }
  const summary = Object.fromEntries(
    VARIANTS.map((v) => {
      const rs = results[v]!;
      const med = (f: (x: (typeof rs)[number]) => number) => round(median(rs.map(f)), 2);
      return [
        v,
        {
          loopMaxMs: med((x) => x.loopMaxMs),
          loopCpuMaxMs: med((x) => x.loopCpuMaxMs),
          loopCpuMaxLessGcMs: med((x) => x.loopCpuMaxLessGcMs),
          gcMaxMs: med((x) => x.gcMaxMs),
          majorGcsPerSecond: round(rs.reduce((a, x) => a + x.majorGcs, 0) / (rs.length * roundSeconds), 2),
          healthP99Ms: med((x) => x.healthP99Ms),
          healthMaxMs: med((x) => x.healthMaxMs),
          scrapeMs: med((x) => x.scrapeMs),
          rounds: rs.map((x) => ({
            ...x,
            loopMaxMs: round(x.loopMaxMs, 2),
            loopCpuMaxMs: round(x.loopCpuMaxMs, 2),
            loopCpuMaxLessGcMs: round(x.loopCpuMaxLessGcMs, 2),
            gcMaxMs: round(x.gcMaxMs, 2),
            healthP99Ms: round(x.healthP99Ms, 2),
            healthMaxMs: round(x.healthMaxMs, 2),
            scrapeMs: round(x.scrapeMs, 2),
          })),
        },
      ];
    }),
  );
  writeResult('scrape-blocking', {
    series: SERIES,
    rounds,
    roundSeconds,
    healthClients: 4,
    healthKeepAlive: true,
    healthIntervalMs: HEALTH_INTERVAL_MS,
    ...summary,
  });
} finally {
  healthAgent.destroy();
  scrapeAgent.destroy();
  await Promise.all([...servers.values()].map(stopServer));
}
