/**
 * The snapshot: what one collection produced (per collector: status, duration, last success, error and
 * the last good values). The leader writes it to the store; every instance applies it to its own gauges,
 * so all of them serve the same numbers and a scrape never waits for a database.
 */
import { catalog } from '../catalog.ts';
import type { Registry } from '../core/registry.ts';
import type { MetricDef } from '../core/types.ts';
import { WarningCodes, warnOnce } from '../core/warnings.ts';

export type CollectorState = 'ok' | 'error' | 'timeout' | 'not_configured';

export interface SerializedSample {
  /** Catalog name without namespace, e.g. `queue_size`. */
  metric: string;
  labels: string[];
  value: number;
}

export interface CollectorReport {
  name: string;
  status: CollectorState;
  /** Why it failed or is not configured; never contains credentials. */
  error?: string;
  durationMs: number;
  /** Epoch ms of this run. */
  runAt: number;
  /** Epoch ms of the last successful run, carried over from earlier snapshots. */
  lastSuccessAt?: number;
  /** Samples this run produced (0 when it failed). */
  samples: number;
  /** Metrics the collector owns (cleared before its values are applied). */
  metrics: string[];
  /** The values of its last successful run. */
  series: SerializedSample[];
}

export interface Snapshot {
  version: 1;
  /** Epoch ms when the run finished. */
  takenAt: number;
  /** Instance id of the collector (host:pid:random). */
  instance: string;
  /** The cron expression the leader runs on. */
  schedule: string;
  durationMs: number;
  collectors: CollectorReport[];
}

/** name -> definition for every catalog metric plus `extra` (metrics of user sources). */
export function definitionsByName(extra: Iterable<MetricDef> = []): Map<string, MetricDef> {
  const map = new Map<string, MetricDef>();
  for (const def of Object.values(catalog) as MetricDef[]) map.set(def.name, def);
  for (const def of extra) map.set(def.name, def);
  return map;
}

/** Parses a stored snapshot; undefined for anything that is not one (a foreign or older value). */
export function parseSnapshot(text: string | null | undefined): Snapshot | undefined {
  if (!text) return undefined;
  try {
    const s = JSON.parse(text) as Snapshot;
    if (s?.version !== 1 || typeof s.takenAt !== 'number' || !Array.isArray(s.collectors)) return undefined;
    return s;
  } catch {
    return undefined;
  }
}

/**
 * Sets the registry's gauges from a snapshot: every family a collector owns is cleared, then set from
 * the collectors' last good values, so series that vanished disappear. Also sets
 * `metrics_collection_last_success_timestamp_seconds` per collector.
 */
export function applySnapshot(registry: Registry, snapshot: Snapshot, defs: Map<string, MetricDef>): void {
  const owned = new Set<string>();
  for (const c of snapshot.collectors) for (const m of c.metrics) owned.add(m);
  for (const name of owned) {
    const def = defs.get(name);
    if (def?.type === 'gauge') registry.gauge(def as MetricDef<string, 'gauge'>).clear();
  }
  for (const c of snapshot.collectors) {
    for (const s of c.series) {
      const def = defs.get(s.metric);
      if (def?.type !== 'gauge') {
        warnOnce(
          WarningCodes.collectFailed,
          `snapshot:${s.metric}`,
          `Snapshot names ${s.metric}, which is not a known gauge`,
        );
        continue;
      }
      registry
        .gauge(def as MetricDef<string, 'gauge'>)
        .labels(...s.labels)
        .set(s.value);
    }
  }
  const lastSuccess = registry.gauge(catalog.metricsCollectionLastSuccess);
  for (const c of snapshot.collectors) {
    if (c.lastSuccessAt !== undefined) lastSuccess.with1(c.name).set(c.lastSuccessAt / 1000);
  }
}

/**
 * An error message safe to store and show: credentials in URLs and `password=` pairs are masked and
 * the text is cut to one short line.
 */
export function safeErrorMessage(err: unknown): string {
  const raw = err instanceof Error ? err.message || err.name : String(err);
  return raw
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1***@')
    .replace(/(password|passwd|pwd|token|secret)=\S+/gi, '$1=***')
    .replace(/\s+/g, ' ')
    .slice(0, 300);
}
