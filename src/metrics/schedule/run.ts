/**
 * One collection: every source runs at once, each under its own timeout, so a hanging database cuts off
 * only its own collector. A source never throws out of here; its failure becomes its report.
 */
import type { MetricDef } from '../core/types.ts';
import type { MetricSource, Sample } from '../sources/types.ts';
import { TimeoutError, withTimeout } from '../timeout.ts';
import { type CollectorReport, type SerializedSample, type Snapshot, safeErrorMessage } from './snapshot.ts';

export interface RunOptions {
  /** Timeout for sources without their own. */
  defaultTimeoutMs: number;
  /** The previous snapshot, whose last good values failing collectors keep. */
  previous?: Snapshot | undefined;
  instance: string;
  schedule: string;
  now?: () => number;
}

/** Checks samples against the source's declared metrics and label arity; returns the clean ones. */
function serialize(source: MetricSource, samples: unknown): SerializedSample[] {
  if (!Array.isArray(samples))
    throw new TypeError(`collector ${source.name} returned ${typeof samples}, expected an array`);
  const declared = new Set<MetricDef>(source.metrics);
  const out: SerializedSample[] = [];
  for (const s of samples as Sample[]) {
    if (!declared.has(s?.metric)) {
      throw new TypeError(
        `collector ${source.name} returned a sample for a metric it does not declare in \`metrics\``,
      );
    }
    const labels = (s.labels ?? []).map(String);
    if (labels.length !== s.metric.labels.length) {
      throw new TypeError(
        `collector ${source.name}: ${s.metric.name} takes ${s.metric.labels.length} label value(s), got ${labels.length}`,
      );
    }
    if (typeof s.value !== 'number' || Number.isNaN(s.value)) {
      throw new TypeError(`collector ${source.name}: ${s.metric.name} value must be a number`);
    }
    out.push({ metric: s.metric.name, labels, value: s.value });
  }
  return out;
}

async function runOne(source: MetricSource, options: RunOptions): Promise<CollectorReport> {
  const now = options.now ?? Date.now;
  const prev = options.previous?.collectors.find((c) => c.name === source.name);
  const metrics = source.metrics.map((m) => m.name);
  const runAt = now();
  const base = { name: source.name, runAt, metrics, lastSuccessAt: prev?.lastSuccessAt };
  if (source.notConfigured !== undefined) {
    return {
      ...base,
      status: 'not_configured',
      error: source.notConfigured,
      durationMs: 0,
      samples: 0,
      series: [],
    };
  }
  const timeoutMs = source.timeoutMs ?? options.defaultTimeoutMs;
  const started = performance.now();
  try {
    const series = serialize(source, await withTimeout((signal) => source.collect(signal), timeoutMs));
    const durationMs = performance.now() - started;
    return { ...base, status: 'ok', durationMs, lastSuccessAt: now(), samples: series.length, series };
  } catch (err) {
    const durationMs = performance.now() - started;
    const status = err instanceof TimeoutError ? 'timeout' : 'error';
    return {
      ...base,
      status,
      error: safeErrorMessage(err),
      durationMs,
      samples: 0,
      series: prev?.series ?? [],
    };
  }
}

/** Runs every source and returns the new snapshot. */
export async function runSources(sources: readonly MetricSource[], options: RunOptions): Promise<Snapshot> {
  const started = performance.now();
  const collectors = await Promise.all(sources.map((s) => runOne(s, options)));
  return {
    version: 1,
    takenAt: (options.now ?? Date.now)(),
    instance: options.instance,
    schedule: options.schedule,
    durationMs: performance.now() - started,
    collectors,
  };
}
