/**
 * SLOs in the live view: a small structural definition (name, objective, good and total selectors over
 * catalog metric names) evaluated in process. The sampler stores each SLO's good and total counts in
 * the ring, so the burn rate over the last hour is `(1 - good/total) / (1 - objective)` over the
 * increase of both since the oldest sample within the hour, as a `rate()`-based burn-rate rule would.
 *
 * ```ts
 * const availability: LiveSlo = {
 *   name: 'api-availability',
 *   objective: 0.995,
 *   good: { metric: 'http_requests_total', labels: { status: { not: { pattern: '5..' } } } },
 *   total: { metric: 'http_requests_total' },
 * };
 * const latency: LiveSlo = {
 *   name: 'api-latency',
 *   objective: 0.95,
 *   good: { metric: 'http_request_duration_seconds', le: 0.5 },   // observations at or below 500 ms
 *   total: { metric: 'http_request_duration_seconds' },
 * };
 * ```
 */
import { catalog } from '../catalog.ts';
import { type AnyFamily, HistogramSeries } from '../core/family.ts';
import type { Registry } from '../core/registry.ts';
import type { MetricDef } from '../core/types.ts';
import { labelIndexes, labelValuesOf } from './read.ts';

/** A value, any of several values, a regular expression matching the whole value, or the opposite. */
export type LabelMatch = string | readonly string[] | { pattern: string } | { not: LabelMatch };

export interface SloSelector {
  /** A catalog metric name without the namespace: `http_requests_total`, `webhooks_total`, ... */
  metric: string;
  /** Label matchers; series that match all of them are summed. */
  labels?: Readonly<Record<string, LabelMatch>>;
  /** Histograms only: count the observations at or below this bucket bound (else all observations). */
  le?: number;
}

export interface LiveSlo {
  name: string;
  /** Target share of good events, e.g. 0.995. */
  objective: number;
  /** The good events, or else `bad` (good is then total - bad). */
  good?: SloSelector;
  bad?: SloSelector;
  total: SloSelector;
  description?: string;
}

type Matcher = (value: string) => boolean;

function compileMatch(m: LabelMatch, where: string): Matcher {
  if (typeof m === 'string') return (v) => v === m;
  if (Array.isArray(m)) {
    const set = new Set<string>(m as readonly string[]);
    return (v) => set.has(v);
  }
  if (typeof m === 'object' && m !== null && 'pattern' in m) {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${m.pattern})$`);
    } catch (err) {
      throw new TypeError(
        `${where}: invalid pattern ${JSON.stringify(m.pattern)}: ${(err as Error).message}`,
      );
    }
    return (v) => re.test(v);
  }
  if (typeof m === 'object' && m !== null && 'not' in m) {
    const inner = compileMatch(m.not, where);
    return (v) => !inner(v);
  }
  throw new TypeError(`${where}: expected a string, a list, { pattern } or { not }`);
}

const byName = new Map<string, MetricDef>(Object.values(catalog).map((d) => [d.name as string, d]));

/** A compiled selector: `read()` sums the matching series now. */
export interface CompiledSelector {
  read(): number;
}

export function compileSelector(registry: Registry, sel: SloSelector, where: string): CompiledSelector {
  const def = byName.get(sel.metric);
  if (def === undefined) {
    throw new TypeError(
      `${where}: unknown metric "${sel.metric}"; expected a catalog name without the namespace, such as http_requests_total`,
    );
  }
  const family: AnyFamily = registry.of(def);
  const entries = Object.entries(sel.labels ?? {});
  const idx = labelIndexes(
    family,
    entries.map(([l]) => l),
  );
  const matchers = entries.map(([l, m]) => compileMatch(m, `${where} label ${l}`));
  let bucket = -1;
  if (sel.le !== undefined) {
    if (family.type !== 'histogram')
      throw new TypeError(`${where}: "le" needs a histogram, ${def.name} is a ${def.type}`);
    bucket = family.bounds.indexOf(sel.le);
    if (bucket === -1) {
      throw new TypeError(
        `${where}: ${def.name} has no bucket bound ${sel.le} (bounds: ${Array.from(family.bounds).join(', ')})`,
      );
    }
  }
  return {
    read() {
      let sum = 0;
      for (const s of family.series.values()) {
        const values = labelValuesOf(s);
        let ok = true;
        for (let i = 0; i < idx.length && ok; i++) ok = matchers[i]!(values[idx[i]!] ?? '');
        if (!ok) continue;
        if (s instanceof HistogramSeries) {
          if (bucket === -1) sum += s.count;
          else for (let k = 0; k <= bucket; k++) sum += s.store.data[s.offset + k]!;
        } else sum += (s as unknown as { value: number }).value;
      }
      return sum;
    },
  };
}

export interface CompiledSlo {
  slo: LiveSlo;
  good: CompiledSelector;
  total: CompiledSelector;
}

/** Checks and compiles the definitions; a bad one throws with its name and what is wrong. */
export function compileSlos(registry: Registry, slos: readonly LiveSlo[]): CompiledSlo[] {
  const names = new Set<string>();
  return slos.map((slo, i) => {
    const where = `SLO "${slo.name ?? i}"`;
    if (typeof slo.name !== 'string' || slo.name === '') throw new TypeError(`SLO #${i}: needs a name`);
    if (names.has(slo.name)) throw new TypeError(`${where}: defined twice`);
    names.add(slo.name);
    if (!(slo.objective > 0 && slo.objective < 1))
      throw new TypeError(`${where}: objective must be between 0 and 1 (exclusive), got ${slo.objective}`);
    if ((slo.good === undefined) === (slo.bad === undefined))
      throw new TypeError(`${where}: needs either good or bad events (not both)`);
    const total = compileSelector(registry, slo.total, `${where} total`);
    let good: CompiledSelector;
    if (slo.good !== undefined) good = compileSelector(registry, slo.good, `${where} good`);
    else {
      const bad = compileSelector(registry, slo.bad!, `${where} bad`);
      good = { read: () => total.read() - bad.read() };
    }
    return { slo, good, total };
  });
}

export interface SloStatus {
  name: string;
  description: string | undefined;
  objective: number;
  /** Increase of good and total events over the window. */
  good: number;
  total: number;
  windowSeconds: number;
  /** 1 - good/total; null without events. */
  errorRatio: number | null;
  /** errorRatio / (1 - objective): 1 spends the budget exactly over the SLO period. */
  burnRate: number | null;
  /** Share of the whole period's error budget spent within the window. */
  budgetUsed: number | null;
}

export function sloStatus(
  slo: LiveSlo,
  good: number,
  total: number,
  windowSeconds: number,
  periodSeconds: number,
): SloStatus {
  const errorRatio = total > 0 ? Math.min(1, Math.max(0, 1 - good / total)) : null;
  const burnRate = errorRatio === null ? null : errorRatio / (1 - slo.objective);
  return {
    name: slo.name,
    description: slo.description,
    objective: slo.objective,
    good,
    total,
    windowSeconds,
    errorRatio,
    burnRate,
    budgetUsed: burnRate === null ? null : (burnRate * windowSeconds) / periodSeconds,
  };
}
