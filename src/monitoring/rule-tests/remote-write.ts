/**
 * `promtool test rules` cases for the remote-write alerts (src/monitoring/alerts/remote-write.ts),
 * in the shape of cases.ts, which runs them with the others.
 */
import type { AlertCase } from './cases.ts';

const RUNBOOK = 'https://github.com/askproai/askproai-monitoring/blob/main/docs/runbooks.md';
const PROM = 'job="prometheus",instance="prometheus-b:9090"';
const QUEUE = `${PROM},remote_name="c1a2b3",url="http://victoriametrics:8428/api/v1/write"`;
const LABELS = {
  job: 'prometheus',
  instance: 'prometheus-b:9090',
  remote_name: 'c1a2b3',
  url: 'http://victoriametrics:8428/api/v1/write',
  severity: 'critical',
  service: 'prometheus',
};

export const remoteWriteCases: AlertCase[] = [
  {
    alert: 'PrometheusRemoteWriteFailing',
    // 30 of 630 samples a minute rejected: 4.762 %.
    above: [
      { series: `prometheus_remote_storage_samples_failed_total{${QUEUE}}`, values: '0+30x40' },
      { series: `prometheus_remote_storage_samples_total{${QUEUE}}`, values: '0+600x40' },
    ],
    activeAt: 1,
    forMinutes: 15,
    expected: [
      {
        exp_labels: LABELS,
        exp_annotations: {
          summary: 'Prometheus fails to send samples to long-term storage.',
          description:
            'prometheus-b:9090 could not deliver 4.762% of its samples to http://victoriametrics:8428/api/v1/write over the last 5m (threshold 1%): they are missing from long-term storage.',
          runbook_url: `${RUNBOOK}#prometheusremotewritefailing`,
        },
      },
    ],
    // 3 of 603: 0.5 %, below the threshold.
    below: [
      { series: `prometheus_remote_storage_samples_failed_total{${QUEUE}}`, values: '0+3x40' },
      { series: `prometheus_remote_storage_samples_total{${QUEUE}}`, values: '0+600x40' },
    ],
  },
  {
    alert: 'PrometheusRemoteWriteBehind',
    // Samples keep arriving (the newest timestamp advances 60 s a minute), none is delivered any
    // more: 180 s behind at minute 3, the first evaluation above 120 s.
    above: [
      { series: `prometheus_remote_storage_highest_timestamp_in_seconds{${PROM}}`, values: '0+60x40' },
      { series: `prometheus_remote_storage_queue_highest_sent_timestamp_seconds{${QUEUE}}`, values: '0x40' },
    ],
    activeAt: 3,
    forMinutes: 15,
    expected: [
      {
        exp_labels: LABELS,
        exp_annotations: {
          summary: 'Prometheus remote write is behind.',
          description:
            'prometheus-b:9090 remote write to http://victoriametrics:8428/api/v1/write is 1080 s behind (threshold 120 s): the store is down or slower than the samples arrive; Prometheus keeps the backlog in its WAL and retries.',
          runbook_url: `${RUNBOOK}#prometheusremotewritebehind`,
        },
      },
    ],
    // Delivered 60 s behind: within the threshold.
    below: [
      { series: `prometheus_remote_storage_highest_timestamp_in_seconds{${PROM}}`, values: '60+60x40' },
      {
        series: `prometheus_remote_storage_queue_highest_sent_timestamp_seconds{${QUEUE}}`,
        values: '0+60x40',
      },
    ],
  },
];
