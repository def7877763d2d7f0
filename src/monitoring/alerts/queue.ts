/** Queue SLAs: backlog per queue and jobs that run past the timeout. */
import { catalog } from '../../metrics/catalog.ts';
import type { Context } from '../context.ts';
import { aggregate, eventsIn, increase, le, num, sel, sumBy } from '../promql.ts';
import { type AlertDef, value0 } from './alert.ts';

export function queueAlerts(ctx: Context): AlertDef[] {
  const { config, n, job } = ctx;
  const t = config.thresholds;
  const w = config.windows.rate;
  const by = ['job', 'queue'];
  const backlog = aggregate(catalog.queueSize, by, sel(n.of(catalog.queueSize), job));
  // A queue's first timeout creates its series at 1: counted too.
  const timeouts = sumBy(by, eventsIn(sel(n.of(catalog.queueJobTimeouts), job), w));
  // Jobs that ran longer than the limit: all finished jobs minus those within the limit's bucket.
  const overLimit =
    `${sumBy(by, increase(sel(n.count(catalog.queueJobDuration), job), w))}` +
    ` - ${sumBy(by, increase(sel(n.bucket(catalog.queueJobDuration), job, le(t.jobTimeoutSeconds)), w))}`;
  return [
    {
      name: 'AskProAIQueueBacklog',
      severity: 'warning',
      service: config.jobs.service,
      expr: `${backlog} > ${num(t.queueSize)}`,
      for: config.for.queueSize,
      summary: 'A queue has a large backlog of waiting jobs.',
      description: `Queue {{ $labels.queue }} holds ${value0} waiting jobs (threshold ${num(t.queueSize)}).`,
    },
    {
      name: 'AskProAIQueueJobTimeout',
      severity: 'critical',
      service: config.jobs.service,
      expr: `${timeouts} > 0 or (${overLimit}) > 0`,
      for: config.for.jobTimeout,
      summary: `Queue jobs run longer than ${num(t.jobTimeoutSeconds)} s.`,
      description: `${value0} jobs of queue {{ $labels.queue }} ran past ${num(t.jobTimeoutSeconds)} s in the last ${w}.`,
    },
  ];
}
