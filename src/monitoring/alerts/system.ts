/** Host resources from the node exporter: memory, CPU and disk. */
import type { Context } from '../context.ts';
import { eq, external, num, rate, sel } from '../promql.ts';
import { type AlertDef, value2 } from './alert.ts';

export function systemAlerts(ctx: Context): AlertDef[] {
  const { config } = ctx;
  const t = config.thresholds;
  const node = eq('job', config.jobs.node);
  const fs = (name: string) => sel(name, node, config.selectors.disk);
  return [
    {
      name: 'HostMemoryHigh',
      severity: 'warning',
      service: 'host',
      expr: `100 * (1 - ${sel(external.nodeMemoryAvailable, node)} / ${sel(external.nodeMemoryTotal, node)}) > ${num(t.memoryPercent)}`,
      for: config.for.memory,
      summary: 'Host memory is almost used up.',
      description: `{{ $labels.instance }} uses ${value2}% of its memory (threshold ${num(t.memoryPercent)}%).`,
    },
    {
      name: 'HostCpuHigh',
      severity: 'warning',
      service: 'host',
      expr: `100 * (1 - avg by (instance) (${rate(sel(external.nodeCpuSeconds, node, eq('mode', 'idle')), config.windows.rate)})) > ${num(t.cpuPercent)}`,
      for: config.for.cpu,
      summary: 'Host CPU is busy most of the time.',
      description: `{{ $labels.instance }} CPU is ${value2}% busy over the last ${config.windows.rate} (threshold ${num(t.cpuPercent)}%).`,
    },
    {
      name: 'HostDiskFull',
      severity: 'warning',
      service: 'host',
      expr: `100 * (1 - ${fs(external.nodeFilesystemAvail)} / ${fs(external.nodeFilesystemSize)}) > ${num(t.diskPercent)}`,
      for: config.for.disk,
      summary: 'A filesystem is almost full.',
      description: `{{ $labels.mountpoint }} on {{ $labels.instance }} is ${value2}% full (threshold ${num(t.diskPercent)}%).`,
    },
  ];
}
