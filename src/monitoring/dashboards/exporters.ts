/**
 * Dashboards of the exporters the stack scrapes: "AskProAI Host" (node exporter) and "AskProAI Redis
 * and Database" (redis, postgres and mysqld exporters). Host alerts link to the host dashboard.
 */
import * as units from '@grafana/grafana-foundation-sdk/units';
import type { Context } from '../context.ts';
import { eq, external, rate, re, sel } from '../promql.ts';
import { dashboard, finish, labelVariable, stat, timeseries } from './common.ts';

export const HOST_TITLE = 'AskProAI Host';
export const DATASTORES_TITLE = 'AskProAI Redis and Database';

export function hostDashboard(ctx: Context) {
  const { config } = ctx;
  const w = '$__rate_interval';
  const node = eq('job', config.jobs.node);
  const inst = re('instance', '$instance');
  const fs = (name: string) => sel(name, node, inst, config.selectors.disk);
  const b = dashboard(ctx, HOST_TITLE, 'Memory, CPU and disk of the hosts (node exporter).')
    .withVariable(labelVariable(ctx, 'instance', 'instance', sel(external.up, node), 'Host'))
    .withPanel(
      timeseries(ctx, {
        title: 'Memory used',
        description: 'Share of memory in use.',
        unit: units.Percent,
        queries: [
          {
            expr: `100 * (1 - ${sel(external.nodeMemoryAvailable, node, inst)} / ${sel(external.nodeMemoryTotal, node, inst)})`,
            legend: '{{instance}}',
          },
        ],
        steps: [[config.thresholds.memoryPercent, 'red']],
        span: 8,
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'CPU busy',
        description: 'Share of CPU time not idle.',
        unit: units.Percent,
        queries: [
          {
            expr: `100 * (1 - avg by (instance) (${rate(sel(external.nodeCpuSeconds, node, inst, eq('mode', 'idle')), w)}))`,
            legend: '{{instance}}',
          },
        ],
        steps: [[config.thresholds.cpuPercent, 'red']],
        span: 8,
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Disk used',
        description: 'Share of each filesystem in use.',
        unit: units.Percent,
        queries: [
          {
            expr: `100 * (1 - ${fs(external.nodeFilesystemAvail)} / ${fs(external.nodeFilesystemSize)})`,
            legend: '{{instance}} {{mountpoint}}',
          },
        ],
        steps: [[config.thresholds.diskPercent, 'red']],
        span: 8,
      }),
    );
  return finish(b);
}

export function datastoresDashboard(ctx: Context) {
  const { config } = ctx;
  const redis = eq('job', config.jobs.redis);
  const b = dashboard(ctx, DATASTORES_TITLE, 'Redis and the database as their exporters see them.')
    .withPanel(
      stat(ctx, {
        title: 'Up',
        description: 'Whether each exporter reaches its server (1) or not (0).',
        unit: units.Short,
        queries: [
          { expr: sel(external.redisUp, redis), legend: 'redis' },
          { expr: sel(external.postgresUp, eq('job', config.jobs.postgres)), legend: 'postgres' },
          { expr: sel(external.mysqlUp, eq('job', config.jobs.mysql)), legend: 'mysql' },
        ],
        steps: [[1, 'green']],
        span: 24,
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Redis memory used',
        description: 'Bytes used by Redis.',
        unit: units.BytesIEC,
        queries: [{ expr: sel(external.redisMemoryUsed, redis), legend: '{{instance}}' }],
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Redis connected clients',
        description: 'Client connections to Redis.',
        unit: units.Short,
        queries: [{ expr: sel(external.redisConnectedClients, redis), legend: '{{instance}}' }],
      }),
    );
  return finish(b);
}
