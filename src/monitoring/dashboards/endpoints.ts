/**
 * "AskProAI API Endpoints": the RED drill-down (rate, errors, duration) of one or more route templates
 * (variable `endpoint`) on the selected instances, and the requests a stalled handler left unanswered.
 * API alerts link here.
 */
import * as units from '@grafana/grafana-foundation-sdk/units';
import { catalog } from '../../metrics/catalog.ts';
import type { Context } from '../context.ts';
import { orZero, quantile, rate, re, sel, sumBy } from '../promql.ts';
import { dashboard, finish, labelVariable, timeseries } from './common.ts';

export const ENDPOINTS_TITLE = 'AskProAI API Endpoints';

export function endpointsDashboard(ctx: Context) {
  const { n, job, config } = ctx;
  const w = '$__rate_interval';
  const inst = re('instance', '$instance');
  const ep = re('endpoint', '$endpoint');
  const requests = (...m: string[]) => sel(n.of(catalog.httpRequestsTotal), job, inst, ep, ...m);
  const b = dashboard(ctx, ENDPOINTS_TITLE, 'Rate, errors and duration per route template.')
    .withVariable(labelVariable(ctx, 'instance', 'instance', sel('up', job), 'Instance'))
    .withVariable(
      labelVariable(ctx, 'endpoint', 'endpoint', sel(n.of(catalog.httpRequestsTotal), job), 'Endpoint'),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Requests per second by endpoint and status',
        description: 'Rate of requests answered, per route template and status code.',
        unit: units.RequestsPerSecond,
        queries: [
          {
            expr: orZero(sumBy(['endpoint', 'status'], rate(requests(), w))),
            legend: '{{endpoint}} {{status}}',
          },
        ],
        span: 24,
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Server error ratio by endpoint',
        description: 'Share of requests answered 5xx.',
        unit: units.PercentUnit,
        queries: [
          {
            expr: `${sumBy(['endpoint'], rate(requests(config.selectors.serverErrors), w))} / (${sumBy(['endpoint'], rate(requests(), w))} > 0)`,
            legend: '{{endpoint}}',
          },
        ],
        steps: [[config.thresholds.errorRatio, 'red']],
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Response time p95 by endpoint',
        description: `95th percentile per route template; dashed lines are the SLAs.`,
        unit: units.Seconds,
        queries: [
          {
            expr: quantile(n, catalog.httpRequestDuration, config.quantile, ['endpoint'], [job, inst, ep], w),
            legend: '{{endpoint}}',
          },
        ],
        steps: [
          [config.thresholds.apiLatencyWarningSeconds, 'orange'],
          [config.thresholds.apiLatencyCriticalSeconds, 'red'],
        ],
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Requests left unanswered by a stalled handler',
        description:
          'Requests whose clients gave up (499) and that the handler had still not answered 30 s later: a stuck handler, which the panels above cannot show. Dashed lines are the alert levels.',
        unit: units.Short,
        queries: [
          {
            expr: orZero(sumBy(['endpoint'], sel(n.of(catalog.httpRequestsUnanswered), job, inst, ep))),
            legend: '{{endpoint}}',
          },
        ],
        steps: [
          [config.thresholds.unansweredWarning, 'orange'],
          [config.thresholds.unansweredCritical, 'red'],
        ],
        span: 24,
      }),
    );
  return finish(b);
}
