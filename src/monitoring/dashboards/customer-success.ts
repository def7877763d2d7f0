/**
 * "AskProAI Customer Success": one tenant at a time (the `tenant` variable selects companies).
 * Calls carry the company label; bookings and webhooks do not (their labels are kept bounded), so
 * those panels show the platform and say so in their titles.
 */
import * as units from '@grafana/grafana-foundation-sdk/units';
import { catalog } from '../../metrics/catalog.ts';
import type { Context } from '../context.ts';
import { eq, increase, orZero, perMinute, re, sel, sumBy } from '../promql.ts';
import { dashboard, finish, labelVariable, stat, timeseries } from './common.ts';

export const CUSTOMER_SUCCESS_TITLE = 'AskProAI Customer Success';

export function customerSuccessDashboard(ctx: Context) {
  const { n, job, config } = ctx;
  const o = config.outcomes;
  const range = '$__range';
  const tenant = re('company', '$tenant');
  const calls = (...m: string[]) => sel(n.of(catalog.callsTotal), job, tenant, ...m);
  const failed = re('status', o.failedCalls.join('|'));
  const bookings = (...m: string[]) => sel(n.of(catalog.bookingsTotal), job, ...m);
  const b = dashboard(ctx, CUSTOMER_SUCCESS_TITLE, 'Calls, bookings and failures per tenant.')
    .withVariable(labelVariable(ctx, 'tenant', 'company', sel(n.of(catalog.callsTotal), job), 'Tenant'))
    .withPanel(
      stat(ctx, {
        title: 'Calls',
        description: 'Calls of the selected tenants in the time range.',
        unit: units.Short,
        queries: [{ expr: orZero(sumBy([], increase(calls(), range))), legend: 'calls' }],
      }),
    )
    .withPanel(
      stat(ctx, {
        title: 'Failed calls',
        description: `Calls ending ${o.failedCalls.join(', ')}.`,
        unit: units.Short,
        queries: [{ expr: orZero(sumBy([], increase(calls(failed), range))), legend: 'failed' }],
        steps: [[1, 'orange']],
      }),
    )
    .withPanel(
      stat(ctx, {
        title: 'Bookings (all tenants)',
        description: 'Bookings in the time range; bookings carry no tenant label.',
        unit: units.Short,
        queries: [{ expr: orZero(sumBy([], increase(bookings(), range))), legend: 'bookings' }],
      }),
    )
    .withPanel(
      stat(ctx, {
        title: 'Call-to-booking conversion (all tenants)',
        description: 'Phone bookings per completed call in the time range.',
        unit: units.PercentUnit,
        queries: [
          {
            expr: orZero(
              `${sumBy([], increase(bookings(eq('source', o.phoneBookingSource)), range))} / (${sumBy([], increase(sel(n.of(catalog.callsTotal), job, eq('status', o.completedCall)), range))} > 0)`,
            ),
            legend: 'conversion',
          },
        ],
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Calls by status',
        description: 'Outcome of the selected tenants’ calls over time.',
        unit: units.OpsPerMinute,
        queries: [
          {
            expr: orZero(sumBy(['company', 'status'], perMinute(calls(), '$__rate_interval'))),
            legend: '{{company}} {{status}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Failed calls by tenant',
        description: 'Failures per tenant over time.',
        unit: units.OpsPerMinute,
        queries: [
          {
            expr: orZero(sumBy(['company'], perMinute(calls(failed), '$__rate_interval'))),
            legend: '{{company}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Webhook errors (all tenants)',
        description: `Deliveries per minute ending ${o.webhookErrors.join(', ')}.`,
        unit: units.OpsPerMinute,
        queries: [
          {
            expr: orZero(
              sumBy(
                ['provider'],
                perMinute(
                  sel(n.of(catalog.webhooksTotal), job, re('status', o.webhookErrors.join('|'))),
                  '$__rate_interval',
                ),
              ),
            ),
            legend: '{{provider}}',
          },
        ],
        span: 24,
      }),
    );
  return finish(b);
}
