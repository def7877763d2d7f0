/** Application errors the service reports as critical (`askproai_errors_total{severity="critical"}`). */
import { catalog } from '../../metrics/catalog.ts';
import type { Context } from '../context.ts';
import { eq, eventsIn, sel, sumBy } from '../promql.ts';
import { type AlertDef, value0 } from './alert.ts';

export function errorAlerts(ctx: Context): AlertDef[] {
  const { config, n, job } = ctx;
  const w = config.windows.rate;
  // The series start at 0 (every known type x severity); a type the service did not pre-create is born
  // at 1 and still counts.
  const critical = sumBy(
    ['job', 'type'],
    eventsIn(sel(n.of(catalog.errorsTotal), job, eq('severity', 'critical')), w),
  );
  return [
    {
      name: 'AskProAICriticalErrors',
      severity: 'critical',
      service: config.jobs.service,
      expr: `${critical} > 0`,
      for: config.for.criticalErrors,
      summary: 'The service reported a critical error.',
      description: `${value0} critical errors of type {{ $labels.type }} in the last ${w} on {{ $labels.job }}; the log lines (errorType) and the error tracker hold the details.`,
    },
  ];
}
