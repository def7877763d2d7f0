/**
 * The monitoring's own health: targets that cannot be scraped, scheduled collectors that stopped
 * succeeding, and Prometheus or Alertmanager running on an old configuration after a failed reload.
 */
import { catalog } from '../../metrics/catalog.ts';
import type { Context } from '../context.ts';
import { aggregate, eq, eventsIn, external, num, rate, sel, sumBy } from '../promql.ts';
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
  const m = config.meta;
  const collectorBy = ['job', 'collector'];
  const ran = aggregate(
    catalog.metricsCollectionDuration,
    collectorBy,
    sel(n.of(catalog.metricsCollectionDuration), job),
  );
  const failures = sumBy(collectorBy, sel(n.of(catalog.metricsCollectionErrors), job));
  const am = eq('job', config.jobs.alertmanager);
  const notifications = (metric: string) =>
    sumBy(['job', 'instance', 'integration'], rate(sel(metric, am), m.notificationsWindow));
  const databaseDown = (name: string, metric: string, job: string, what: string): AlertDef => ({
    name,
    severity: 'critical',
    service: job,
    expr: `${sel(metric, eq('job', job))} == 0`,
    for: m.databaseDownFor,
    summary: `${what} is down (its exporter cannot reach it).`,
    description: `The ${job} exporter {{ $labels.instance }} cannot connect to ${what}: the service's queues, sessions or data are unavailable.`,
  });
  const exporters = config.targets.databaseExporters as readonly string[];
  return [
    {
      // Always firing: Alertmanager forwards it to the heartbeat URL (a dead man's switch); when the
      // heartbeats stop, Prometheus or Alertmanager (or the path between them) is gone.
      name: 'Watchdog',
      severity: 'none',
      service: 'monitoring',
      expr: 'vector(1)',
      for: '0m',
      summary: 'The alerting pipeline is alive.',
      description:
        'This alert always fires. It is sent to the dead man’s switch; if the heartbeats stop arriving there, Prometheus or Alertmanager is down.',
    },
    {
      name: 'AlertmanagerNotificationsFailing',
      severity: 'critical',
      service: config.jobs.alertmanager,
      expr: `${notifications(external.alertmanagerNotificationsFailed)} / (${notifications(external.alertmanagerNotifications)} > 0) > ${num(m.notificationsFailureRatio)}`,
      for: m.notificationsFor,
      summary: 'Alertmanager fails to deliver notifications.',
      description: `{{ $value | humanizePercentage }} of the {{ $labels.integration }} notifications of {{ $labels.instance }} failed over the last ${m.notificationsWindow}: alerts may not reach anyone through that channel.`,
    },
    {
      name: 'PrometheusRuleEvaluationFailures',
      severity: 'critical',
      service: config.jobs.prometheus,
      expr: `${sumBy(['job', 'instance', 'rule_group'], eventsIn(sel(external.prometheusRuleEvaluationFailures, eq('job', config.jobs.prometheus)), m.ruleFailuresWindow))} > 0`,
      for: m.ruleFailuresFor,
      summary: 'Prometheus fails to evaluate rules.',
      description: `{{ printf "%.0f" $value }} evaluations of rule group {{ $labels.rule_group }} failed in the last ${m.ruleFailuresWindow}: its alerts cannot fire and its recorded series have gaps.`,
    },
    {
      name: 'AskProAIMetricsCollectorNeverSucceeded',
      severity: 'warning',
      service,
      expr: `(${ran} unless on (job, collector) ${lastSuccess}) and on (job, collector) (${failures} > 0)`,
      for: m.neverSucceededFor,
      summary: 'A scheduled metrics collector has failed on every run since the service started.',
      description: `Collector {{ $labels.collector }} has run and failed on every run without a single success: its gauges have never had a value.`,
    },
    {
      name: 'AskProAIMetricsLabelOverflow',
      severity: 'warning',
      service,
      expr: `${sumBy(['job', 'metric'], eventsIn(sel(n.of(catalog.metricsLabelOverflow), job), m.overflowWindow))} > 0`,
      for: '0m',
      summary: 'A metric reached its label-set cap; new label sets fold into __overflow__.',
      description: `{{ printf "%.0f" $value }} recordings of {{ $labels.metric }} were folded into its __overflow__ series in the last ${m.overflowWindow}: a label took unexpected values (an id or URL?) or the cap is too small.`,
    },
    databaseDown('RedisDown', external.redisUp, config.jobs.redis, 'Redis'),
    ...(exporters.includes('postgres')
      ? [databaseDown('PostgresDown', external.postgresUp, config.jobs.postgres, 'PostgreSQL')]
      : []),
    ...(exporters.includes('mysql')
      ? [databaseDown('MysqlDown', external.mysqlUp, config.jobs.mysql, 'MySQL/MariaDB')]
      : []),
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
