/**
 * Small PromQL builders. Our metric names come only from catalog definitions (`fullName`), so a
 * renamed or removed metric is a type error in every rule and panel that uses it; numbers are
 * formatted explicitly so generated files never carry float noise such as 0.30000000000000004.
 */
import { fullName } from '../metrics/catalog.ts';
import type { MetricDef } from '../metrics/core/types.ts';

/**
 * Metrics of other programs (exporters, Prometheus, Alertmanager). They are not in our catalog;
 * listing them here keeps every name the generators use in one of two places.
 */
export const external = {
  up: 'up',
  alerts: 'ALERTS',
  nodeMemoryAvailable: 'node_memory_MemAvailable_bytes',
  nodeMemoryTotal: 'node_memory_MemTotal_bytes',
  nodeCpuSeconds: 'node_cpu_seconds_total',
  nodeFilesystemAvail: 'node_filesystem_avail_bytes',
  nodeFilesystemSize: 'node_filesystem_size_bytes',
  prometheusConfigReload: 'prometheus_config_last_reload_successful',
  alertmanagerConfigReload: 'alertmanager_config_last_reload_successful',
  redisConnectedClients: 'redis_connected_clients',
  redisUp: 'redis_up',
  postgresUp: 'pg_up',
  mysqlUp: 'mysql_up',
  alertmanagerNotifications: 'alertmanager_notifications_total',
  alertmanagerNotificationsFailed: 'alertmanager_notifications_failed_total',
  prometheusRuleEvaluationFailures: 'prometheus_rule_evaluation_failures_total',
  redisMemoryUsed: 'redis_memory_used_bytes',
} as const;

/** A number as PromQL and YAML should read it: at most 10 significant digits, no exponent for normal values. */
export function num(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`not a finite number: ${n}`);
  const rounded = Number(n.toPrecision(10));
  return String(rounded);
}

/** A percentage for people: `0.05` → `5`. */
export function percent(ratio: number): string {
  return num(ratio * 100);
}

/** `name{m1,m2}` (or `name` without matchers); empty matchers are dropped. */
export function sel(name: string, ...matchers: (string | undefined)[]): string {
  const list = matchers.filter((m): m is string => m !== undefined && m !== '');
  return list.length === 0 ? name : `${name}{${list.join(',')}}`;
}

/** `label="value"` with the value escaped for PromQL. */
export function eq(label: string, value: string): string {
  return `${label}=${JSON.stringify(value)}`;
}

/** `label=~"value"`. */
export function re(label: string, value: string): string {
  return `${label}=~${JSON.stringify(value)}`;
}

export const rate = (selector: string, window: string): string => `rate(${selector}[${window}])`;
/** Events per minute: `60 * rate(s[w])`, a value that does not change with the zoom level. */
export const perMinute = (selector: string, window: string): string => `60 * ${rate(selector, window)}`;
export const increase = (selector: string, window: string): string => `increase(${selector}[${window}])`;

/** `sum by (a, b) (expr)`; `sum(expr)` without labels. */
export function sumBy(labels: readonly string[], expr: string): string {
  return labels.length === 0 ? `sum(${expr})` : `sum by (${labels.join(', ')}) (${expr})`;
}

/** `max by (a, b) (expr)`: the aggregation for cluster-scope gauges, which every instance serves identically. */
export function maxBy(labels: readonly string[], expr: string): string {
  return labels.length === 0 ? `max(${expr})` : `max by (${labels.join(', ')}) (${expr})`;
}

/**
 * The aggregation a metric's scope calls for: `sum` for process-scope metrics (each instance
 * records its own share), `max` for cluster-scope gauges (one platform value served by all).
 */
export function aggregate(def: MetricDef, labels: readonly string[], expr: string): string {
  return def.scope === 'cluster' ? maxBy(labels, expr) : sumBy(labels, expr);
}

/**
 * Events of a counter in the last `window`, counting a series born within the window with its whole
 * value (a counter created at its first event starts at 1, and `increase()` alone never sees that
 * event): `increase()` where the series already existed a window ago, its value where it did not.
 */
export function eventsIn(selector: string, window: string): string {
  const before = `${selector} offset ${window}`;
  return `((${increase(selector, window)} and ${before}) or (${selector} unless ${before}))`;
}

/** `(expr) or on() vector(0)`: a panel or rule counting rare things shows 0, not "no data". */
export function orZero(expr: string): string {
  return `(${expr}) or on() vector(0)`;
}

/** Names of one namespace's metrics, built from catalog definitions only. */
export interface Names {
  readonly namespace: string;
  /** The exposed name, e.g. `askproai_queue_size`. */
  of(def: MetricDef): string;
  /** `<histogram>_bucket`; throws for anything but a histogram. */
  bucket(def: MetricDef): string;
  /** `<histogram>_count`. */
  count(def: MetricDef): string;
  /** `<histogram>_sum`. */
  sum(def: MetricDef): string;
  /**
   * A recording rule name after the Prometheus convention `level:metric:operations`,
   * e.g. `job:askproai_http_request_duration_seconds:p95_5m`.
   */
  recorded(level: readonly string[], def: MetricDef, operation: string): string;
}

export function names(namespace: string): Names {
  const histogram = (def: MetricDef, suffix: string) => {
    if (def.type !== 'histogram') throw new TypeError(`${def.name} is a ${def.type}, not a histogram`);
    return `${fullName(def, namespace)}_${suffix}`;
  };
  return {
    namespace,
    of: (def) => fullName(def, namespace),
    bucket: (def) => histogram(def, 'bucket'),
    count: (def) => histogram(def, 'count'),
    sum: (def) => histogram(def, 'sum'),
    recorded: (level, def, operation) => `${level.join('_')}:${fullName(def, namespace)}:${operation}`,
  };
}

/**
 * `histogram_quantile(q, sum by (le, ...) (rate(bucket{...}[w])))`: the quantile across every
 * instance (the `le` buckets are summed before the quantile is taken, never quantiles averaged).
 */
export function quantile(
  n: Names,
  def: MetricDef,
  q: number,
  by: readonly string[],
  matchers: readonly (string | undefined)[],
  window: string,
): string {
  return `histogram_quantile(${num(q)}, ${sumBy(['le', ...by], rate(sel(n.bucket(def), ...matchers), window))})`;
}

/**
 * A matcher for one histogram bucket edge that survives Prometheus 3's float normalisation of `le`
 * (an integer edge `30` is stored as `30.0` there, `30` by Prometheus 2 and by our exposition):
 * `le=~"30|30\\.0"` for integers, `le="0.5"` otherwise.
 */
export function le(edge: number): string {
  const text = num(edge);
  return Number.isInteger(edge) ? re('le', `${text}|${text}\\.0`) : eq('le', text);
}

/** `q` as a quantile name: 0.95 → `p95`. */
export function quantileName(q: number): string {
  return `p${num(q * 100).replace('.', '_')}`;
}
