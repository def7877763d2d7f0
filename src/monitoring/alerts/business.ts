/** Business-facing SLAs: admin dashboard page load and webhook processing time. */
import type { Context } from '../context.ts';
import { num } from '../promql.ts';
import { recordedNames } from '../rules/recording.ts';
import { type AlertDef, value2 } from './alert.ts';

export function businessAlerts(ctx: Context): AlertDef[] {
  const { config } = ctx;
  const t = config.thresholds;
  const r = recordedNames(ctx);
  const p = `p${num(config.quantile * 100)}`;
  return [
    {
      name: 'AskProAIAdminPageSlow',
      severity: 'warning',
      service: config.jobs.service,
      expr: `${r.adminPageLoadAll} > ${num(t.adminPageLoadSeconds)}`,
      for: config.for.adminPageLoad,
      summary: `Admin dashboard pages load slower than their SLA (${p}).`,
      description: `Admin pages of {{ $labels.job }} load in ${value2} s (${p}, last ${config.windows.rate}; threshold ${num(t.adminPageLoadSeconds)} s).`,
    },
    {
      name: 'AskProAIWebhookProcessingSlow',
      severity: 'warning',
      service: config.jobs.service,
      expr: `${r.webhookLatency} > ${num(t.webhookSeconds)}`,
      for: config.for.webhook,
      summary: `Webhook processing is slower than its SLA (${p}).`,
      description: `{{ $labels.provider }} webhooks take ${value2} s to process (${p}, last ${config.windows.rate}; threshold ${num(t.webhookSeconds)} s).`,
    },
  ];
}
