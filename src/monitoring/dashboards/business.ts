/** "AskProAI Business": bookings by status and source, calls by company, webhooks by provider. */
import * as units from '@grafana/grafana-foundation-sdk/units';
import { catalog } from '../../metrics/catalog.ts';
import type { Context } from '../context.ts';
import { aggregate, orZero, perMinute, re, sel, sumBy } from '../promql.ts';
import { dashboard, finish, stat, timeseries } from './common.ts';

export const BUSINESS_TITLE = 'AskProAI Business';

export function businessDashboard(ctx: Context) {
  const { n, job, config } = ctx;
  const w = '$__rate_interval';
  const bookings = sel(n.of(catalog.bookingsTotal), job);
  const calls = sel(n.of(catalog.callsTotal), job);
  const webhooks = sel(n.of(catalog.webhooksTotal), job);
  const webhookErrors = sel(
    n.of(catalog.webhooksTotal),
    job,
    re('status', config.outcomes.webhookErrors.join('|')),
  );
  const b = dashboard(ctx, BUSINESS_TITLE, 'Bookings, calls and webhooks across all tenants.')
    .withPanel(
      stat(ctx, {
        title: 'Bookings today by status',
        description: 'Since local midnight, from the database.',
        unit: units.Short,
        queries: [
          {
            expr: orZero(aggregate(catalog.bookingsToday, ['status'], sel(n.of(catalog.bookingsToday), job))),
            legend: '{{status}}',
          },
        ],
        span: 24,
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Bookings by status',
        description: 'Bookings recorded per minute.',
        unit: units.OpsPerMinute,
        queries: [{ expr: orZero(sumBy(['status'], perMinute(bookings, w))), legend: '{{status}}' }],
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Bookings by source',
        description: 'Phone (the AI agent), web, API and Cal.com.',
        unit: units.OpsPerMinute,
        queries: [{ expr: orZero(sumBy(['source'], perMinute(bookings, w))), legend: '{{source}}' }],
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Calls by company (top 10)',
        description: 'Companies are tenant ids, never names.',
        unit: units.OpsPerMinute,
        queries: [
          {
            expr: `${sumBy(['company'], perMinute(calls, w))} and on (company) topk(10, ${sumBy(['company'], `increase(${calls}[$__range] @ end())`)})`,
            legend: '{{company}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Calls by status',
        description: 'Final status of each call.',
        unit: units.OpsPerMinute,
        queries: [{ expr: orZero(sumBy(['status'], perMinute(calls, w))), legend: '{{status}}' }],
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Webhooks by provider and status',
        description: 'Retell and Cal.com deliveries.',
        unit: units.OpsPerMinute,
        queries: [
          {
            expr: orZero(sumBy(['provider', 'status'], perMinute(webhooks, w))),
            legend: '{{provider}} {{status}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Webhook errors by provider',
        description: `Deliveries ending ${config.outcomes.webhookErrors.join(', ')}.`,
        unit: units.OpsPerMinute,
        queries: [
          {
            expr: orZero(sumBy(['provider', 'status'], perMinute(webhookErrors, w))),
            legend: '{{provider}} {{status}}',
          },
        ],
      }),
    );
  return finish(b);
}
