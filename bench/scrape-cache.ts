/**
 * Scrape latency with the collection cache versus querying the database inside the scrape, while the
 * collector's database is sleeping (`SELECT pg_sleep(5)` on POSTGRES_URL; without it, a source that
 * blocks for the same time stands in for the database).
 *
 *   node --import tsx bench/scrape-cache.ts            (BENCH_SLEEP_S=5, BENCH_SCRAPES=200)
 *
 * Prints a markdown table of p50/p99 per variant.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { catalog } from '../src/metrics/catalog.ts';
import type { Registry } from '../src/metrics/core/registry.ts';
import { createMetricsEndpoint } from '../src/metrics/endpoint.ts';
import { nodeMetricsHandler } from '../src/metrics/http/node.ts';
import { createRegistry } from '../src/metrics/registry.ts';
import { registerRuntimeMetrics } from '../src/metrics/runtime.ts';
import { MetricsScheduler } from '../src/metrics/schedule/scheduler.ts';
import { openDatabase } from '../src/metrics/sources/connect.ts';
import type { MetricSource } from '../src/metrics/sources/types.ts';

const SLEEP_S = Number(process.env.BENCH_SLEEP_S ?? 5);
const SCRAPES = Number(process.env.BENCH_SCRAPES ?? 200);
const DIRECT_SLEEPING_SCRAPES = 3; // each one waits for the whole sleep
const TOKEN = 'bench-token';
const pgUrl = process.env.POSTGRES_URL;
const opened = pgUrl ? await openDatabase(pgUrl, { poolSize: 4 }) : undefined;
const { sql } = await import('kysely');

/** One collection's worth of reading: optionally sleeping first, then a count. */
async function readDatabase(sleep: boolean): Promise<number> {
  if (opened) {
    if (sleep) await sql`SELECT pg_sleep(${SLEEP_S})`.execute(opened.db);
    const r = await sql<{ n: string }>`SELECT count(*) AS n FROM pg_stat_activity`.execute(opened.db);
    return Number(r.rows[0]!.n);
  }
  if (sleep) await new Promise((r) => setTimeout(r, SLEEP_S * 1000));
  return 1;
}

function setup(render?: () => Promise<string>): {
  registry: Registry;
  listen: () => Promise<{ server: Server; url: string }>;
} {
  const registry = createRegistry();
  registerRuntimeMetrics(registry);
  const endpoint = createMetricsEndpoint({ registry, tokens: [TOKEN], render });
  return {
    registry,
    listen: () =>
      new Promise((resolve) => {
        const server = createServer(nodeMetricsHandler(endpoint));
        server.listen(0, '127.0.0.1', () => {
          resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/metrics` });
        });
      }),
  };
}

async function scrapeTimes(url: string, n: number, until?: () => boolean): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n && (until === undefined || !until()); i++) {
    const t0 = performance.now();
    const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    await res.text();
    if (res.status !== 200) throw new Error(`scrape answered ${res.status}`);
    times.push(performance.now() - t0);
  }
  return times;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const rows: string[][] = [];
function report(name: string, times: number[]): void {
  const s = [...times].sort((a, b) => a - b);
  rows.push([name, String(s.length), `${pct(s, 50).toFixed(2)} ms`, `${pct(s, 99).toFixed(2)} ms`]);
}

// 1 + 2: the cache. A scheduler whose source reads the database; scrapes read the gauges.
{
  let sleeping = false;
  const source: MetricSource = {
    name: 'database',
    metrics: [catalog.databaseConnections],
    timeoutMs: (SLEEP_S + 5) * 1000,
    async collect() {
      return [{ metric: catalog.databaseConnections, value: await readDatabase(sleeping) }];
    },
  };
  const { registry, listen } = setup();
  const scheduler = new MetricsScheduler({ registry, sources: [source] });
  await scheduler.collect();
  const { server, url } = await listen();
  await scrapeTimes(url, 20); // warm-up
  report('cached, database idle', await scrapeTimes(url, SCRAPES));
  sleeping = true;
  let done = false;
  const run = scheduler.collect().then(() => {
    done = true;
  });
  const during = await scrapeTimes(url, Number.MAX_SAFE_INTEGER, () => done);
  await run;
  report(`cached, database sleeping ${SLEEP_S} s (scrapes during the sleep)`, during);
  server.close();
}

// 3 + 4: the baseline, reading the database inside every scrape.
{
  let sleeping = false;
  let registryRef: Registry | undefined;
  const { registry, listen } = setup(async () => {
    registryRef!
      .gauge(catalog.databaseConnections)
      .get()
      .set(await readDatabase(sleeping));
    return registryRef!.expose('text');
  });
  registryRef = registry;
  const { server, url } = await listen();
  await scrapeTimes(url, 20);
  report('direct query in the scrape, database idle', await scrapeTimes(url, SCRAPES));
  sleeping = true;
  report(
    `direct query in the scrape, database sleeping ${SLEEP_S} s`,
    await scrapeTimes(url, DIRECT_SLEEPING_SCRAPES),
  );
  server.close();
}

await opened?.close();
process.stdout.write(
  `Scrape latency of /api/metrics (${opened ? 'PostgreSQL pg_sleep' : 'simulated blocking database'}, Node ${process.version})\n\n`,
);
process.stdout.write('| variant | scrapes | p50 | p99 |\n|---|---:|---:|---:|\n');
for (const r of rows) process.stdout.write(`| ${r.join(' | ')} |\n`);
process.exit(0);
