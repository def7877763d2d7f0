/**
 * Node `cluster`: the primary serves one exposition for all workers. On each scrape the primary asks
 * every worker for its registry over IPC and merges the answers (plus its own registry):
 *
 * - counters and histograms (bucket counts, sum, count) are summed exactly;
 * - a gauge merges as its definition's `aggregate` declares (`aggregationOf`): `max` by default for
 *   `scope: 'cluster'` (platform-wide values every worker serves from the shared snapshot, so N
 *   workers never multiply the queue size) and where the catalog says so (info gauges, timestamps);
 *   `min` where declared; every other gauge (memory, pool connections, ...) is summed.
 *
 * ```ts
 * if (cluster.isPrimary) {
 *   const endpoint = createMetricsEndpoint({ registry, tokens, render: clusterRender({ registry }) });
 * } else {
 *   serveWorkerMetrics(registry);
 * }
 * ```
 */
import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import type { ExpositionFormat } from './core/exposition.ts';
import { Registry } from './core/registry.ts';
import { aggregationOf, type ClusterAggregation, type MetricDef, type MetricType } from './core/types.ts';
import { WarningCodes, warnOnce } from './core/warnings.ts';

const REQUEST = 'askproai:metrics:collect';
const RESPONSE = 'askproai:metrics:dump';

export interface SeriesDump {
  labels: string[];
  value?: number;
  /** Histograms: non-cumulative bucket counts, +Inf last. */
  counts?: number[];
  sum?: number;
}

export interface FamilyDump {
  /** Exposed name, namespace included. */
  name: string;
  type: MetricType;
  help: string;
  labels: string[];
  buckets?: number[];
  /** How the primary merges it, from the definition. */
  aggregate: ClusterAggregation;
  series: SeriesDump[];
}

/** The registry's families as plain data (collect hooks run first, so runtime gauges are current). */
export function dumpRegistry(registry: Registry): FamilyDump[] {
  registry.refresh();
  const out: FamilyDump[] = [];
  for (const f of registry.all()) {
    if (f.series.size === 0) continue;
    const dump: FamilyDump = {
      name: f.name,
      type: f.type,
      help: f.help,
      labels: [...f.labelNames],
      aggregate: aggregationOf(f.def),
      series: [],
    };
    if (f.type === 'histogram') {
      dump.buckets = Array.from(f.bounds);
      for (const s of f.series.values())
        dump.series.push({ labels: [...s.labelValues], counts: Array.from(s.counts), sum: s.sum });
    } else {
      for (const s of f.series.values()) dump.series.push({ labels: [...s.labelValues], value: s.value });
    }
    out.push(dump);
  }
  return out;
}

/** Merges dumps by the rules above into a registry that can be exposed. */
export function mergeDumps(dumps: readonly FamilyDump[][]): Registry {
  const merged = new Registry({ namespace: '', maxSeries: 1_000_000 });
  const defs = new Map<string, { def: MetricDef; first: FamilyDump }>();
  const seen = new Set<string>();
  for (const dump of dumps) {
    for (const f of dump) {
      let entry = defs.get(f.name);
      if (!entry) {
        const def: MetricDef = {
          name: f.name,
          type: f.type,
          help: f.help,
          labels: f.labels,
          buckets: f.buckets,
          aggregate: f.type === 'gauge' ? (f.aggregate ?? 'sum') : 'sum',
        };
        entry = { def, first: f };
        defs.set(f.name, entry);
      } else if (entry.def.type !== f.type || entry.def.labels.join() !== f.labels.join()) {
        warnOnce(
          WarningCodes.collectFailed,
          `cluster:${f.name}`,
          `Cluster workers disagree on the shape of ${f.name}; skipped`,
        );
        continue;
      } else if (f.type === 'histogram' && entry.def.buckets?.join() !== f.buckets?.join()) {
        warnOnce(
          WarningCodes.collectFailed,
          `cluster:${f.name}`,
          `Cluster workers disagree on the buckets of ${f.name}; skipped`,
        );
        continue;
      }
      const family = merged.of(entry.def);
      const aggregate = entry.def.aggregate;
      for (const s of f.series) {
        const series = family.labels(...s.labels);
        const key = `${f.name}\u0001${s.labels.join('\u0001')}`;
        if ('addCounts' in series && s.counts) {
          series.addCounts(s.counts);
          series.sum += s.sum ?? 0;
        } else if ('value' in series && typeof s.value === 'number') {
          if (family.type === 'gauge' && aggregate !== 'sum') {
            const pick = aggregate === 'min' ? Math.min : Math.max;
            series.value = seen.has(key) ? pick(series.value, s.value) : s.value;
          } else {
            series.value += s.value;
          }
        }
        seen.add(key);
      }
    }
  }
  return merged;
}

export interface ClusterRenderOptions {
  /** The primary's own registry, merged like one more worker. */
  registry?: Registry;
  /** How long to wait for each worker. Default 2000 ms; a worker that does not answer is left out. */
  timeoutMs?: number;
}

/** Asks every live worker for its dump. */
export function collectWorkerDumps(timeoutMs = 2000): Promise<FamilyDump[][]> {
  const workers = Object.values(cluster.workers ?? {}).filter((w) => w?.isConnected());
  return Promise.all(
    workers.map(
      (worker) =>
        new Promise<FamilyDump[]>((resolve) => {
          const id = randomUUID();
          const done = (dump: FamilyDump[]) => {
            clearTimeout(timer);
            worker!.off('message', onMessage);
            worker!.off('exit', onExit);
            resolve(dump);
          };
          const onMessage = (msg: { type?: string; id?: string; families?: FamilyDump[] }) => {
            if (msg?.type === RESPONSE && msg.id === id)
              done(Array.isArray(msg.families) ? msg.families : []);
          };
          const onExit = () => done([]);
          const timer = setTimeout(() => {
            warnOnce(
              WarningCodes.collectFailed,
              'cluster:timeout',
              `A cluster worker did not send its metrics within ${timeoutMs} ms`,
            );
            done([]);
          }, timeoutMs);
          worker!.on('message', onMessage);
          worker!.on('exit', onExit);
          try {
            worker!.send({ type: REQUEST, id });
          } catch {
            done([]);
          }
        }),
    ),
  );
}

/** The `render` option for the primary's metrics endpoint: one exposition of all workers. */
export function clusterRender(
  options: ClusterRenderOptions = {},
): (format: ExpositionFormat) => Promise<string> {
  const timeoutMs = options.timeoutMs ?? 2000;
  return async function renderCluster(format) {
    const dumps = await collectWorkerDumps(timeoutMs);
    if (options.registry) dumps.push(dumpRegistry(options.registry));
    return mergeDumps(dumps).expose(format);
  };
}

/** In a worker: answer the primary's requests with this registry. Returns a function that stops answering. */
export function serveWorkerMetrics(registry: Registry): () => void {
  if (typeof process.send !== 'function')
    throw new Error('serveWorkerMetrics: this process has no IPC channel to a primary');
  const onMessage = (msg: { type?: string; id?: string }) => {
    if (msg?.type !== REQUEST) return;
    let families: FamilyDump[] = [];
    try {
      families = dumpRegistry(registry);
    } catch (err) {
      warnOnce(
        WarningCodes.collectFailed,
        'cluster:dump',
        `Dumping the worker's metrics failed: ${(err as Error).message}`,
      );
    }
    process.send?.({ type: RESPONSE, id: msg.id, families });
  };
  process.on('message', onMessage);
  return () => {
    process.off('message', onMessage);
  };
}
