/** "AskProAI Executive Overview": the few numbers leadership asks about, each with its trend. */
import { BarAlignment, GraphDrawStyle } from '@grafana/grafana-foundation-sdk/common';
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
    // Business time: "today" and the daily bars follow the company's midnight (APP_TIMEZONE), whatever
    // the viewer's browser says.
    .timezone(config.funnel.businessHours.timezone)
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
    .withPanel(bookingsPerDay(ctx, bookings))
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

/**
 * Bookings per calendar day in the business time zone, one bar per day.
 *
 * Grafana (10.x and later) aligns a range query's start and end to multiples of the step shifted by the
 * UTC offset of the dashboard time zone (`utcOffsetSec`, taken at the end of the range), so with a 1d
 * step every point falls on a local midnight. The point at midnight holds `increase(...[1d])`: the day
 * that ended there, so each bar is drawn before its point, over that day. The interval follows the step
 * (`$__interval`), so a range long enough to need wider steps shows wider bars, never skipped days.
 * A range crossing a daylight-saving switch uses the offset at its end: bars on the other side of the
 * switch are one hour off (docs/monitoring.md).
 */
export function bookingsPerDay(ctx: Context, bookings: string) {
  return timeseries(ctx, {
    title: 'Bookings per day',
    description: `Bookings per calendar day (${ctx.config.funnel.businessHours.timezone}), all sources; the day so far is in "Bookings today".`,
    unit: units.Short,
    queries: [{ expr: orZero(sumBy([], increase(bookings, '$__interval'))), legend: 'bookings' }],
  })
    .interval('1d')
    .drawStyle(GraphDrawStyle.Bars)
    .barAlignment(BarAlignment.Before)
    .fillOpacity(80);
}
