/**
 * Recording rules: the quantiles and ratios that alerts and dashboards share, computed once per
 * evaluation instead of once per panel refresh and per alert.
 */
import { catalog } from '../../metrics/catalog.ts';
import type { Context } from '../context.ts';
import { quantile, quantileName, rate, sel, sumBy } from '../promql.ts';

export interface RecordingRule {
  record: string;
  expr: string;
}

/** Names of the recorded series, for the alerts and dashboards that read them. */
export function recordedNames(ctx: Context) {
  const { n, config } = ctx;
  const op = `${quantileName(config.quantile)}_${config.windows.rate}`;
  return {
    apiLatency: n.recorded(['job'], catalog.httpRequestDuration, op),
    apiLatencyByEndpoint: n.recorded(['job', 'endpoint'], catalog.httpRequestDuration, op),
    requestRate: n.recorded(['job'], catalog.httpRequestsTotal, `rate${config.windows.rate}`),
    errorRatio: n.recorded(['job'], catalog.httpRequestsTotal, `5xx_ratio_rate${config.windows.rate}`),
    adminPageLoad: n.recorded(['job', 'page'], catalog.adminPageLoad, op),
    adminPageLoadAll: n.recorded(['job'], catalog.adminPageLoad, op),
    webhookLatency: n.recorded(['job', 'provider'], catalog.webhookProcessingDuration, op),
    queryTime: n.recorded(['job'], catalog.databaseQueryDuration, op),
  };
}

export function recordingRules(ctx: Context): RecordingRule[] {
  const { n, config, job } = ctx;
  const q = config.quantile;
  const w = config.windows.rate;
  const r = recordedNames(ctx);
  const requests = (...m: string[]) =>
    rate(sel(n.of(catalog.httpRequestsTotal), job, config.selectors.api, ...m), w);
  return [
    {
      record: r.apiLatency,
      expr: quantile(
        n,
        catalog.httpRequestDuration,
        q,
        ['job'],
        [job, config.selectors.api, config.selectors.served],
        w,
      ),
    },
    {
      record: r.apiLatencyByEndpoint,
      expr: quantile(
        n,
        catalog.httpRequestDuration,
        q,
        ['job', 'endpoint'],
        [job, config.selectors.api, config.selectors.served],
        w,
      ),
    },
    { record: r.requestRate, expr: sumBy(['job'], requests()) },
    {
      // Divided only where requests were made: no traffic gives no sample rather than NaN.
      record: r.errorRatio,
      // Client errors are left out of the total: a flood of unauthenticated 401s must not dilute an outage.
      expr: `${sumBy(['job'], requests(config.selectors.serverErrors))} / (${sumBy(['job'], requests(config.selectors.served))} > 0)`,
    },
    { record: r.adminPageLoadAll, expr: quantile(n, catalog.adminPageLoad, q, ['job'], [job], w) },
    { record: r.adminPageLoad, expr: quantile(n, catalog.adminPageLoad, q, ['job', 'page'], [job], w) },
    {
      record: r.webhookLatency,
      // Refused unsigned deliveries (event "unknown": never parsed) are not processing, and a flood of
      // them would pull the quantile down.
      expr: quantile(
        n,
        catalog.webhookProcessingDuration,
        q,
        ['job', 'provider'],
        [job, 'event!="unknown"'],
        w,
      ),
    },
    { record: r.queryTime, expr: quantile(n, catalog.databaseQueryDuration, q, ['job'], [job], w) },
  ];
}
