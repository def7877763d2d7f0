/** Database SLAs: query time and connections as a share of the server's max_connections. */
import { catalog } from '../../metrics/catalog.ts';
import type { Context } from '../context.ts';
import { aggregate, num, percent, sel } from '../promql.ts';
import { recordedNames } from '../rules/recording.ts';
import { type AlertDef, value2 } from './alert.ts';

export function databaseAlerts(ctx: Context): AlertDef[] {
  const { config, n, job } = ctx;
  const t = config.thresholds;
  const r = recordedNames(ctx);
  const p = `p${num(config.quantile * 100)}`;
  const connections = aggregate(
    catalog.databaseConnections,
    ['job'],
    sel(n.of(catalog.databaseConnections), job),
  );
  const max = aggregate(
    catalog.databaseMaxConnections,
    ['job'],
    sel(n.of(catalog.databaseMaxConnections), job),
  );
  return [
    {
      name: 'AskProAIDatabaseQueriesSlow',
      severity: 'warning',
      service: config.jobs.service,
      expr: `${r.queryTime} > ${num(t.queryTimeSeconds)}`,
      for: config.for.queryTime,
      summary: `Database queries are slower than their SLA (${p}).`,
      description: `Database queries of {{ $labels.job }} take ${value2} s (${p}, last ${config.windows.rate}; threshold ${num(t.queryTimeSeconds)} s).`,
    },
    {
      name: 'AskProAIDatabaseConnectionsHigh',
      severity: 'warning',
      service: config.jobs.service,
      // A limit of one is the embedded SQLite connection: it cannot run out.
      expr: `${connections} / (${max} > 1) > ${num(t.databaseConnectionsRatio)}`,
      for: config.for.databaseConnections,
      summary: 'The database is running out of connections.',
      description: `{{ $value | humanizePercentage }} of the database's max_connections are in use (threshold ${percent(t.databaseConnectionsRatio)}%).`,
    },
  ];
}
