/**
 * Remote write to the long-term store: samples the store rejects for good, and a queue that falls
 * behind (the store is down or too slow; Prometheus keeps the backlog in its WAL and retries).
 * The expressions follow the prometheus-mixin (kube-prometheus) for Prometheus 2.42's metric names.
 */
import type { Context } from '../context.ts';
import { eq, num, percent, rate, sel } from '../promql.ts';
import { type AlertDef, value0 } from './alert.ts';

/** Prometheus' own remote-write metrics (2.42 names). */
export const remoteStorage = {
  samplesSent: 'prometheus_remote_storage_samples_total',
  samplesFailed: 'prometheus_remote_storage_samples_failed_total',
  samplesPending: 'prometheus_remote_storage_samples_pending',
  highestTimestamp: 'prometheus_remote_storage_highest_timestamp_in_seconds',
  highestSentTimestamp: 'prometheus_remote_storage_queue_highest_sent_timestamp_seconds',
} as const;

export function remoteWriteAlerts(ctx: Context): AlertDef[] {
  const { config } = ctx;
  const rw = config.remoteWrite;
  const prometheus = eq('job', config.jobs.prometheus);
  const w = rw.window;
  const failed = rate(sel(remoteStorage.samplesFailed, prometheus), w);
  const sent = rate(sel(remoteStorage.samplesSent, prometheus), w);
  return [
    {
      name: 'PrometheusRemoteWriteFailing',
      severity: 'critical',
      service: config.jobs.prometheus,
      expr: `${failed} / (${failed} + ${sent}) > ${num(rw.failingRatio)}`,
      for: rw.for,
      summary: 'Prometheus fails to send samples to long-term storage.',
      description: `{{ $labels.instance }} could not deliver {{ $value | humanizePercentage }} of its samples to {{ $labels.url }} over the last ${w} (threshold ${percent(rw.failingRatio)}%): they are missing from long-term storage.`,
    },
    {
      name: 'PrometheusRemoteWriteBehind',
      severity: 'critical',
      service: config.jobs.prometheus,
      // The newest appended sample against the newest one the queue delivered; max_over_time keeps a
      // missed scrape from resolving the alert. The first metric has no remote_name/url labels.
      expr:
        `max_over_time(${sel(remoteStorage.highestTimestamp, prometheus)}[${w}])` +
        ` - ignoring(remote_name, url) group_right` +
        ` max_over_time(${sel(remoteStorage.highestSentTimestamp, prometheus)}[${w}]) > ${num(rw.behindSeconds)}`,
      for: rw.for,
      summary: 'Prometheus remote write is behind.',
      description: `{{ $labels.instance }} remote write to {{ $labels.url }} is ${value0} s behind (threshold ${num(rw.behindSeconds)} s): the store is down or slower than the samples arrive; Prometheus keeps the backlog in its WAL and retries.`,
    },
  ];
}
