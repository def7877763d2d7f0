/**
 * The monitoring's own health: targets that cannot be scraped, scheduled collectors that stopped
 * succeeding, and Prometheus or Alertmanager running on an old configuration after a failed reload.
 */
import { catalog } from '../../metrics/catalog.ts';
import type { Context } from '../context.ts';
import { aggregate, eq, external, num, sel } from '../promql.ts';
import type { AlertDef } from './alert.ts';

export function monitoringAlerts(ctx: Context): AlertDef[] {
  const { config, n, job } = ctx;
  const t = config.thresholds;
  const service = config.jobs.service;
  const targetDown = (severity: 'critical' | 'warning', matcher: string): AlertDef => ({
    name: 'TargetDown',
    severity,
    service: '{{ $labels.job }}',
    expr: `${sel(external.up, matcher)} == 0`,
    for: config.for.targetDown,
    summary: 'Prometheus cannot scrape a target.',
    description: `{{ $labels.job }} target {{ $labels.instance }} has been down for more than ${config.for.targetDown}: its metrics are missing and its alerts cannot fire.`,
  });
  const lastSuccess = aggregate(
    catalog.metricsCollectionLastSuccess,
    ['job', 'collector'],
    sel(n.of(catalog.metricsCollectionLastSuccess), job),
  );
  const reload = (name: string, metric: string, component: string): AlertDef => ({
    name,
    severity: 'warning',
    service: component,
    expr: `max_over_time(${sel(metric, eq('job', component))}[${config.windows.reload}]) == 0`,
    for: config.for.configReload,
    summary: `${component === 'prometheus' ? 'Prometheus' : 'Alertmanager'} could not reload its configuration.`,
    description: `{{ $labels.instance }} keeps running its previous configuration: the last reload failed.`,
  });
  return [
    // The service itself is critical: without its metrics every SLA alert is blind.
    targetDown('critical', eq('job', service)),
    targetDown('warning', `job!=${JSON.stringify(service)}`),
    {
      name: 'AskProAIMetricsCollectionStale',
      severity: 'warning',
      service,
      expr: `time() - ${lastSuccess} > ${num(t.collectionStaleSeconds)}`,
      for: config.for.collectionStale,
      summary: 'A scheduled metrics collector has stopped succeeding.',
      description: `Collector {{ $labels.collector }} last succeeded {{ $value | humanizeDuration }} ago (threshold ${num(t.collectionStaleSeconds)} s); queue, database and tenant gauges are stale.`,
    },
    reload('PrometheusConfigReloadFailed', external.prometheusConfigReload, config.jobs.prometheus),
    reload('AlertmanagerConfigReloadFailed', external.alertmanagerConfigReload, config.jobs.alertmanager),
  ];
}
