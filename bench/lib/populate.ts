/**
 * Fills our registry and a prom-client registry with the same recorded data: N histogram series of
 * `http_request_duration_seconds` (method x route template x status) or N counter series of
 * `calls_total` (status x tenant). Both sides get identical observations from a seeded PRNG.
 */
import client from 'prom-client';
import { catalog, fullName } from '../../src/metrics/catalog.ts';
import type { Registry } from '../../src/metrics/core/registry.ts';
import { createRegistry } from '../../src/metrics/registry.ts';
import {
  CALL_STATUS_VALUES,
  companyIds,
  HTTP_METHODS,
  HTTP_STATUSES,
  prng,
  routeTemplates,
} from './labels.ts';

export interface HistogramLabels {
  method: string;
  endpoint: string;
  status: number;
}

/** `n` distinct (method, endpoint, status) label sets. */
export function histogramLabelSets(n: number): HistogramLabels[] {
  const per = HTTP_METHODS.length * HTTP_STATUSES.length;
  const templates = routeTemplates(Math.ceil(n / per));
  const out: HistogramLabels[] = [];
  for (const endpoint of templates) {
    for (const method of HTTP_METHODS) {
      for (const status of HTTP_STATUSES) {
        if (out.length < n) out.push({ method, endpoint, status });
      }
    }
  }
  return out;
}

export interface CounterLabels {
  status: string;
  company: string;
}

/** `n` distinct (status, company) label sets. */
export function counterLabelSets(n: number): CounterLabels[] {
  const companies = companyIds(Math.ceil(n / CALL_STATUS_VALUES.length));
  const out: CounterLabels[] = [];
  for (const company of companies) {
    for (const status of CALL_STATUS_VALUES) if (out.length < n) out.push({ status, company });
  }
  return out;
}

/**
 * `calls_total` without its production cap (2,000 label sets, for 200 tenants): the benchmark's
 * 100k series would otherwise fold into the overflow series.
 */
export const BENCH_CALLS_TOTAL = { ...catalog.callsTotal, maxSeries: 200_000 };

/** A registry large enough for the benchmark's series (the production cap is far lower). */
export function oursRegistry(): Registry {
  return createRegistry({ maxSeries: 200_000 });
}

export function promHistogram(registry: client.Registry): client.Histogram<string> {
  return new client.Histogram({
    name: fullName(catalog.httpRequestDuration),
    help: catalog.httpRequestDuration.help,
    labelNames: catalog.httpRequestDuration.labels,
    buckets: [...catalog.httpRequestDuration.buckets!],
    registers: [registry],
  });
}

export function promCounter(registry: client.Registry): client.Counter<string> {
  return new client.Counter({
    name: fullName(catalog.callsTotal),
    help: catalog.callsTotal.help,
    labelNames: catalog.callsTotal.labels,
    registers: [registry],
  });
}

/** Log-normal request durations around 40 ms, `perSeries` per label set. */
export function fillHistograms(
  sets: HistogramLabels[],
  perSeries: number,
  ours?: Registry,
  prom?: client.Histogram<string>,
): void {
  const rand = prng(7);
  const family = ours?.histogram(catalog.httpRequestDuration);
  for (const l of sets) {
    const series = family?.with3(l.method, l.endpoint, l.status);
    for (let k = 0; k < perSeries; k++) {
      const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
      const v = 0.04 * Math.exp(z);
      series?.observe(v);
      prom?.observe({ method: l.method, endpoint: l.endpoint, status: l.status }, v);
    }
  }
}

/** Call counts between 1 and 500 per label set. */
export function fillCounters(sets: CounterLabels[], ours?: Registry, prom?: client.Counter<string>): void {
  const rand = prng(11);
  const family = ours?.counter(BENCH_CALLS_TOTAL);
  for (const l of sets) {
    const by = 1 + Math.floor(rand() * 500);
    family?.with2(l.status, l.company).inc(by);
    prom?.inc({ status: l.status, company: l.company }, by);
  }
}
