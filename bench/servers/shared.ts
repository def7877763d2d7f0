/**
 * What every benchmark server shares: the bucket layout, the label names, the payloads, and how a
 * server announces its port to the runner (one JSON line on stdout).
 */

import type { AddressInfo } from 'node:net';
import client from 'prom-client';
import { catalog } from '../../src/metrics/catalog.ts';

export const BUCKETS = [...catalog.httpRequestDuration.buckets!];
export const REQUEST_LABELS = ['method', 'endpoint', 'status'];
/** Where each server serves its own exposition, so the runner can check the variant recorded. */
export const STATS_PATH = '/__bench/metrics';
export const UNMATCHED = 'unmatched';

/** The request mix of the request-path benchmarks: a path-parameter route with many ids, a nested route, health, a 404. */
export const URLS = [
  '/api/bookings/1042',
  '/api/bookings/77',
  '/api/companies/cmp_1a/calls',
  '/api/bookings/58213',
  '/api/bookings/9',
  '/api/companies/cmp_2b/calls',
  '/api/bookings/31337',
  '/api/health',
  '/api/bookings/600',
  '/api/unknown/path?x=1',
];

export function booking(id: string): { id: string; status: string; source: string; startsAt: string } {
  return { id, status: 'confirmed', source: 'phone', startsAt: '2025-01-15T09:30:00+01:00' };
}

export function calls(companyId: string): { companyId: string; calls: { id: number; status: string }[] } {
  return {
    companyId,
    calls: [
      { id: 1, status: 'completed' },
      { id: 2, status: 'no_answer' },
    ],
  };
}

/** Prints `{"port":N}` once the server listens; the runner waits for this line. */
export function announce(address: AddressInfo | string | null): void {
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  process.stdout.write(JSON.stringify({ port: address.port, pid: process.pid }) + '\n');
}

export function variantArg<T extends string>(allowed: readonly T[]): T {
  const v = process.argv[2] as T;
  if (!allowed.includes(v))
    throw new Error(`variant must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v;
}

/** Exits cleanly on SIGTERM or SIGINT, so `--cpu-prof` and similar exit hooks still run. */
export function exitOnSignal(): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => process.exit(0));
}

/** The hand-written prom-client variant's metrics: the same names, labels and buckets as ours. */
export function promClientRequestMetrics(registry: client.Registry = client.register): {
  requests: client.Counter;
  duration: client.Histogram;
} {
  return {
    requests: new client.Counter({
      name: 'http_requests_total',
      help: 'Requests.',
      labelNames: REQUEST_LABELS,
      registers: [registry],
    }),
    duration: new client.Histogram({
      name: 'http_request_duration_seconds',
      help: 'Duration.',
      labelNames: REQUEST_LABELS,
      buckets: BUCKETS,
      registers: [registry],
    }),
  };
}
