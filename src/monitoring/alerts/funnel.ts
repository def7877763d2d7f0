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
  const byInstance = (expr: string) =>
    sumBy(['job', 'instance', 'provider'], increase(expr, f.webhookWindow));
  // Deliveries that passed the signature check: only the provider (or whoever holds the secret) can
  // send them. Unsigned requests are anyone's to send, so no alert counts them against signed ones.
  const signed = webhooks('status!="rejected"');
  const failing = `${byProvider(webhooks('status="failed"'))} / (${byProvider(signed)} > 0) > ${num(f.webhookFailureRatio)}`;
  // Rejections on an instance that accepted nothing in the window: a secret wrong on that instance
  // (every delivery refused). A flood of unsigned requests while the provider's deliveries are accepted
  // raises nothing; in a quiet window it can, which is why this warns and does not page (the
  // business-hours silence alerts page when calls or bookings stop).
  const rejected = `${byInstance(webhooks('status="rejected"'))} >= ${num(f.webhookRejectedMinimum)} unless on (job, instance, provider) (${byInstance(signed)} > 0)`;
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
      severity: 'warning',
      service,
      expr: rejected,
      for: f.webhookFor,
      summary: 'Webhook deliveries are rejected and none is accepted (signature check fails).',
      description: `{{ $labels.instance }} rejected {{ printf "%.0f" $value }} {{ $labels.provider }} deliveries in the last ${f.webhookWindow} and accepted none: the secret is probably wrong on this instance or was rotated on one side only (or unsigned requests arrive while the provider sends nothing).`,
    },
    {
      name: 'AskProAIWebhooksFailing',
      severity: 'critical',
      service,
      expr: failing,
      for: f.webhookFor,
      summary: 'A provider’s webhook deliveries fail to process.',
      description: `{{ $value | humanizePercentage }} of the {{ $labels.provider }} deliveries that passed the signature check in the last ${f.webhookWindow} failed while being applied (threshold ${percent(f.webhookFailureRatio)}%).`,
    },
    silenceAlert('AskProAINoCalls', 'calls', catalog.callsTotal),
    silenceAlert('AskProAINoBookings', 'bookings', catalog.bookingsTotal),
    dropAlert('AskProAICallsDropped', 'calls', catalog.callsTotal),
    dropAlert('AskProAIBookingsDropped', 'bookings', catalog.bookingsTotal),
  ];
}
