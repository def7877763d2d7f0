/**
 * The business funnel: webhook deliveries a provider sends that we refuse (a rotated or wrong secret)
 * or fail to process, calls and bookings that stop arriving during business hours, and traffic that
 * drops against the same hour last week.
 *
 * The silence alerts carry `active: business-hours`; Alertmanager delivers them only inside the
 * business-hours time interval (config.funnel.businessHours, in APP_TIMEZONE), so the same silence at
 * night stays quiet.
 */
import { catalog } from '../../metrics/catalog.ts';
import type { MetricDef } from '../../metrics/core/types.ts';
import type { Context } from '../context.ts';
import { increase, num, percent, sel, sumBy } from '../promql.ts';
import type { AlertDef } from './alert.ts';

/** The label that routes an alert through the business-hours time interval in Alertmanager. */
type Counter = MetricDef<string, 'counter'>;

export const BUSINESS_HOURS_LABEL = { name: 'active', value: 'business-hours' } as const;

export function funnelAlerts(ctx: Context): AlertDef[] {
  const { config, n, job } = ctx;
  const f = config.funnel;
  const service = config.jobs.service;
  const webhooks = (...m: string[]) => sel(n.of(catalog.webhooksTotal), job, ...m);
  const byProvider = (expr: string) => sumBy(['job', 'provider'], increase(expr, f.webhookWindow));
  // Share of a provider's deliveries with the given outcome; only where deliveries arrived.
  const share = (status: string) =>
    `${byProvider(webhooks(`status=${JSON.stringify(status)}`))} / (${byProvider(webhooks())} > 0) > ${num(f.webhookFailureRatio)}`;
  const serviceUp = `on() (max(${sel('up', job)}) == 1)`;
  const silence = (def: Counter) =>
    `(${sumBy([], increase(sel(n.of(def), job), f.silenceWindow))} or on() vector(0)) == 0 and ${serviceUp}`;
  const hour = (def: Counter, offset: string) =>
    `sum(increase(${sel(n.of(def), job)}[${f.dropWindow}]${offset}))`;
  const drop = (def: Counter) => {
    const now = hour(def, '');
    const lastWeek = hour(def, ' offset 1w');
    return `(${now} or on() vector(0)) < ${lastWeek} / ${num(f.dropFactor)} and ${lastWeek} >= ${num(f.dropMinimumLastWeek)}`;
  };
  const silenceAlert = (name: string, what: string, def: Counter): AlertDef => ({
    name,
    severity: 'critical',
    service,
    expr: silence(def),
    for: f.silenceFor,
    summary: `No ${what} during business hours.`,
    description: `No ${what} were recorded in the last ${f.silenceWindow} while the service is up. Check the provider's dashboard and the webhook endpoint.`,
    labels: { [BUSINESS_HOURS_LABEL.name]: BUSINESS_HOURS_LABEL.value },
  });
  const dropAlert = (name: string, what: string, def: Counter): AlertDef => ({
    name,
    severity: 'warning',
    service,
    expr: drop(def),
    for: f.dropFor,
    summary: `Far fewer ${what} than at the same hour last week.`,
    description: `{{ printf "%.0f" $value }} ${what} in the last ${f.dropWindow}: less than 1/${num(f.dropFactor)} of the same hour last week (compared only when last week had at least ${num(f.dropMinimumLastWeek)}).`,
  });
  return [
    {
      name: 'AskProAIWebhooksRejected',
      severity: 'critical',
      service,
      expr: share('rejected'),
      for: f.webhookFor,
      summary: 'A provider’s webhook deliveries are rejected (signature check fails).',
      description: `{{ $value | humanizePercentage }} of the {{ $labels.provider }} deliveries in the last ${f.webhookWindow} failed the signature check (threshold ${percent(f.webhookFailureRatio)}%): the secret was probably rotated on one side only.`,
    },
    {
      name: 'AskProAIWebhooksFailing',
      severity: 'critical',
      service,
      expr: share('failed'),
      for: f.webhookFor,
      summary: 'A provider’s webhook deliveries fail to process.',
      description: `{{ $value | humanizePercentage }} of the {{ $labels.provider }} deliveries in the last ${f.webhookWindow} failed while being applied (threshold ${percent(f.webhookFailureRatio)}%).`,
    },
    silenceAlert('AskProAINoCalls', 'calls', catalog.callsTotal),
    silenceAlert('AskProAINoBookings', 'bookings', catalog.bookingsTotal),
    dropAlert('AskProAICallsDropped', 'calls', catalog.callsTotal),
    dropAlert('AskProAIBookingsDropped', 'bookings', catalog.bookingsTotal),
  ];
}
