/** Every generated dashboard, keyed by the file name it is written to. */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Context } from '../context.ts';
import { businessDashboard } from './business.ts';
import { uidFor } from './common.ts';
import { customerSuccessDashboard } from './customer-success.ts';
import { endpointsDashboard } from './endpoints.ts';
import { executiveDashboard } from './executive.ts';
import { datastoresDashboard, hostDashboard } from './exporters.ts';
import { sloDashboard } from './slo.ts';
import { systemDashboard } from './system.ts';

export function dashboards(ctx: Context): Record<string, Dashboard> {
  const all = [
    systemDashboard(ctx),
    businessDashboard(ctx),
    customerSuccessDashboard(ctx),
    executiveDashboard(ctx),
    sloDashboard(ctx),
    endpointsDashboard(ctx),
    hostDashboard(ctx),
    datastoresDashboard(ctx),
  ];
  return Object.fromEntries(all.map((d) => [`${uidFor(d.title ?? '')}.json`, d]));
}
