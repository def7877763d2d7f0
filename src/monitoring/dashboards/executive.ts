/** "AskProAI Executive Overview": the few numbers leadership asks about, each with its trend. */
import * as units from '@grafana/grafana-foundation-sdk/units';
import { catalog } from '../../metrics/catalog.ts';
import type { Context } from '../context.ts';
import { aggregate, eq, external, increase, orZero, sel, sumBy } from '../promql.ts';
import { recordedNames } from '../rules/recording.ts';
import { dashboard, finish, stat, timeseries } from './common.ts';

export const EXECUTIVE_TITLE = 'AskProAI Executive Overview';

export function executiveDashboard(ctx: Context) {
  const { n, job, config } = ctx;
  const t = config.thresholds;
  const r = recordedNames(ctx);
  const requests = (...m: string[]) => sel(n.of(catalog.httpRequestsTotal), job, config.selectors.api, ...m);
  const bookings = sel(n.of(catalog.bookingsTotal), job);
  const b = dashboard(ctx, EXECUTIVE_TITLE, 'Bookings, tenants, availability and open incidents.')
    .withPanel(
      stat(ctx, {
        title: 'Bookings today',
        description: 'Since local midnight.',
        unit: units.Short,
        queries: [
          {
            expr: orZero(
              sumBy([], aggregate(catalog.bookingsToday, ['status'], sel(n.of(catalog.bookingsToday), job))),
            ),
            legend: 'today',
          },
        ],
        span: 4,
      }),
    )
    .withPanel(
      stat(ctx, {
        title: 'Bookings last 7 days',
        description: 'All sources.',
        unit: units.Short,
        queries: [{ expr: orZero(sumBy([], increase(bookings, '7d'))), legend: '7 days' }],
        span: 4,
      }),
    )
    .withPanel(
      stat(ctx, {
        title: 'Active tenants',
        description: 'Companies with an active account.',
        unit: units.Short,
        queries: [
          {
            expr: orZero(aggregate(catalog.activeTenants, [], sel(n.of(catalog.activeTenants), job))),
            legend: 'tenants',
          },
        ],
        span: 4,
      }),
    )
    .withPanel(
      stat(ctx, {
        title: 'Calls last 24 hours',
        description: 'All tenants.',
        unit: units.Short,
        queries: [
          { expr: orZero(sumBy([], increase(sel(n.of(catalog.callsTotal), job), '1d'))), legend: '24 h' },
        ],
        span: 4,
      }),
    )
    .withPanel(
      stat(ctx, {
        title: 'API availability',
        description: 'Share of API requests in the time range answered without a server error.',
        unit: units.PercentUnit,
        queries: [
          {
            expr: `1 - ((${sumBy([], increase(requests(config.selectors.serverErrors), '$__range'))}) or on() vector(0)) / (${sumBy([], increase(requests(), '$__range'))} > 0)`,
            legend: 'availability',
          },
        ],
        steps: [],
        span: 4,
      }),
    )
    .withPanel(
      stat(ctx, {
        title: 'Firing alerts',
        description: 'Alerts firing now (open incidents).',
        unit: units.Short,
        queries: [
          { expr: orZero(`count(${sel(external.alerts, eq('alertstate', 'firing'))})`), legend: 'firing' },
        ],
        steps: [[1, 'red']],
        span: 4,
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Bookings per day',
        description: 'Daily bookings, all sources.',
        unit: units.Short,
        queries: [{ expr: orZero(sumBy([], increase(bookings, '1d'))), legend: 'bookings/day' }],
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'API response time (p95)',
        description: 'Against the critical SLA.',
        unit: units.Seconds,
        queries: [{ expr: r.apiLatency, legend: 'p95' }],
        steps: [[t.apiLatencyCriticalSeconds, 'red']],
      }),
    );
  return finish(b);
}
