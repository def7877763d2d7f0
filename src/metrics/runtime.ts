/**
 * Node.js process and runtime metrics, the set prom-client's `collectDefaultMetrics` exposes, read in
 * memory right before each scrape. Names follow prom-client except where `promtool check metrics`
 * objects: its `nodejs_active_handles_total` family are gauges, so they are `nodejs_active_resources`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import {
  constants,
  type IntervalHistogram,
  monitorEventLoopDelay,
  PerformanceObserver,
} from 'node:perf_hooks';
import v8 from 'node:v8';
import { catalog } from './catalog.ts';
import type { Registry } from './core/registry.ts';

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

// The histogram records the interval between timer ticks, which includes the resolution itself.
const LAG_RESOLUTION_MS = 10;
const lagSeconds = (ns: number) => Math.max(0, ns / 1e9 - LAG_RESOLUTION_MS / 1000);

export interface RuntimeMetrics {
  stop(): void;
}

function readMaxFds(): number | undefined {
  try {
    const m = /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Registers the runtime metrics on `registry`; `stop()` releases the observers. */
export function registerRuntimeMetrics(registry: Registry): RuntimeMetrics {
  const cpuUser = registry.counter(catalog.processCpuUserSeconds).get();
  const cpuSystem = registry.counter(catalog.processCpuSystemSeconds).get();
  const cpuTotal = registry.counter(catalog.processCpuSeconds).get();
  const rss = registry.gauge(catalog.processResidentMemory).get();
  const openFds = registry.gauge(catalog.processOpenFds).get();
  const heapTotal = registry.gauge(catalog.nodejsHeapSizeTotal).get();
  const heapUsed = registry.gauge(catalog.nodejsHeapSizeUsed).get();
  const external = registry.gauge(catalog.nodejsExternalMemory).get();
  const heapSpace = registry.gauge(catalog.nodejsHeapSpaceSizeUsed);
  const resources = registry.gauge(catalog.nodejsActiveResources);
  const lag = registry.gauge(catalog.nodejsEventloopLag).get();
  const lagP99 = registry.gauge(catalog.nodejsEventloopLagP99).get();
  const lagMax = registry.gauge(catalog.nodejsEventloopLagMax).get();
  const gc = registry.histogram(catalog.nodejsGcDuration);

  registry
    .gauge(catalog.processStartTime)
    .get()
    .set(Math.round(Date.now() / 1000 - process.uptime()));
  const maxFds = readMaxFds();
  if (maxFds !== undefined) registry.gauge(catalog.processMaxFds).get().set(maxFds);
  const [major, minor, patch] = process.versions.node.split('.');
  registry.gauge(catalog.nodejsVersionInfo).labels(process.version, major!, minor!, patch!).set(1);

  let delay: IntervalHistogram | undefined;
  try {
    delay = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
    delay.enable();
  } catch {
    delay = undefined;
  }

  let gcObserver: PerformanceObserver | undefined;
  try {
    gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = GC_KINDS[(entry as { detail?: { kind?: number } }).detail?.kind ?? -1] ?? 'other';
        gc.with1(kind).observe(entry.duration / 1000);
      }
    });
    gcObserver.observe({ entryTypes: ['gc'] });
  } catch {
    gcObserver = undefined;
  }

  let hasProcFd = true;
  registry.onCollect('runtime', () => {
    const cpu = process.cpuUsage();
    cpuUser.value = cpu.user / 1e6;
    cpuSystem.value = cpu.system / 1e6;
    cpuTotal.value = (cpu.user + cpu.system) / 1e6;
    const mem = process.memoryUsage();
    rss.set(mem.rss);
    heapTotal.set(mem.heapTotal);
    heapUsed.set(mem.heapUsed);
    external.set(mem.external);
    for (const space of v8.getHeapSpaceStatistics()) {
      heapSpace.with1(space.space_name.replace(/_space$/, '')).set(space.space_used_size);
    }
    const counts = new Map<string, number>();
    for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
    for (const s of resources.series.values()) s.set(0);
    for (const [type, n] of counts) resources.with1(type).set(n);
    if (hasProcFd) {
      try {
        openFds.set(readdirSync('/proc/self/fd').length - 1);
      } catch {
        hasProcFd = false;
      }
    }
    if (delay) {
      lag.set(delay.count > 0 ? lagSeconds(delay.mean) : 0);
      lagP99.set(delay.count > 0 ? lagSeconds(delay.percentile(99)) : 0);
      lagMax.set(delay.count > 0 ? lagSeconds(delay.max) : 0);
      delay.reset();
    }
  });

  return {
    stop() {
      delay?.disable();
      gcObserver?.disconnect();
    },
  };
}
