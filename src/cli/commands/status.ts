/**
 * `askproai metrics:status`: the schedule, the next run, the leader, and the last run with its result
 * per collector, read from the shared snapshot store (METRICS_REDIS_URL). Without a shared store the
 * service keeps its snapshot in memory, so the status is read from its /api/metrics instead.
 */

import type { Command } from 'commander';
import { Cron } from 'croner';
import type { Config } from '../../config.ts';
import { catalog, fullName, redisKeyPrefix, samplesOf } from '../../metrics/index.ts';
import {
  createMonitorRedis,
  fetchExposition,
  localEndpointUrl,
  RedisLeaderLock,
  RedisSnapshotStore,
  type Snapshot,
  safeErrorMessage,
  whenReady,
} from '../../metrics/schedule/index.ts';
import { configOrExit } from '../config.ts';
import { collectorTable, formatDuration, formatTable } from './collect.ts';

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120
    ? `${s} s ago`
    : s < 7200
      ? `${Math.round(s / 60)} min ago`
      : `${Math.round(s / 3600)} h ago`;
}

function scheduleLines(config: Config): string {
  let next = '';
  try {
    next = new Cron(config.metrics.collectCron, { paused: true }).nextRun()?.toISOString() ?? '';
  } catch {
    next = '(invalid expression)';
  }
  return `Schedule:  ${config.metrics.collectCron} (METRICS_COLLECT_CRON), next run ${next}\n`;
}

/** Reads the snapshot and leader from Redis; undefined snapshot when none is stored. */
async function fromRedis(
  config: Config,
  url: string,
): Promise<{ snapshot: Snapshot | undefined; leader: string | null }> {
  const redis = createMonitorRedis(url, { maxBackoffMs: 500 });
  try {
    if (!(await whenReady(redis, 3000)))
      throw new Error('Redis (METRICS_REDIS_URL / REDIS_URL db 2) is not reachable');
    const prefix = redisKeyPrefix(config.metrics.namespace);
    const snapshot = await new RedisSnapshotStore(redis, { key: `${prefix}snapshot` }).read();
    const leader = await new RedisLeaderLock(redis, '', { key: `${prefix}leader` }).holder();
    return { snapshot, leader };
  } finally {
    redis.disconnect();
  }
}

export function printSnapshot(snapshot: Snapshot, leader: string | null, now = Date.now()): string {
  let out = `Leader:    ${leader ?? 'none (the next instance to tick takes the lock)'}\n`;
  out += `Last run:  ${new Date(snapshot.takenAt).toISOString()} (${ago(now - snapshot.takenAt)}) by ${snapshot.instance}, took ${formatDuration(snapshot.durationMs)}\n\n`;
  out += collectorTable(snapshot.collectors);
  const rows = snapshot.collectors
    .filter((c) => c.status !== 'not_configured')
    .map((c) => [
      c.name,
      c.lastSuccessAt
        ? `${new Date(c.lastSuccessAt).toISOString()} (${ago(now - c.lastSuccessAt)})`
        : 'never',
    ]);
  if (rows.length > 0) out += `\n${formatTable(['collector', 'last success'], rows)}`;
  return out;
}

export function register(program: Command): void {
  program
    .command('metrics:status')
    .description('show the collection schedule, the last run and its result per collector')
    .option(
      '--url <url>',
      'metrics endpoint to read when there is no shared store (default from HOST, PORT, METRICS_PATH)',
    )
    .action(async (opts: { url?: string }) => {
      const config = configOrExit();
      process.stdout.write(scheduleLines(config));
      const redisUrl = config.metrics.redisUrl;
      if (redisUrl) {
        process.stdout.write('Store:     redis (METRICS_REDIS_URL)\n');
        try {
          const { snapshot, leader } = await fromRedis(config, redisUrl);
          if (!snapshot) {
            process.stdout.write(
              'No collection has been stored yet: is the service running? Try: askproai metrics:collect --immediate\n',
            );
            process.exit(1);
          }
          process.stdout.write(printSnapshot(snapshot, leader));
          process.exit(0);
        } catch (err) {
          process.stderr.write(`askproai: ${safeErrorMessage(err)}\n`);
          process.exit(1);
        }
      }
      const url = opts.url ?? localEndpointUrl(config.host, config.port, config.metrics.path);
      process.stdout.write(`Store:     memory of the service (no METRICS_REDIS_URL); reading ${url}\n`);
      try {
        const res = await fetchExposition(
          url,
          config.metrics.tokenGenerated ? undefined : config.metrics.tokens[0],
        );
        if (res.status !== 200) throw new Error(`the endpoint answered ${res.status}`);
        const ns = config.metrics.namespace;
        const last = samplesOf(res.text, fullName(catalog.metricsCollectionLastSuccess, ns));
        const errors = samplesOf(res.text, fullName(catalog.metricsCollectionErrors, ns));
        const durations = samplesOf(res.text, fullName(catalog.metricsCollectionDuration, ns));
        const names = [...new Set([...last, ...durations].map((s) => s.labels.collector ?? ''))].sort();
        if (names.length === 0) {
          process.stdout.write('The service has not collected yet.\n');
          process.exit(1);
        }
        const rows = names.map((n) => {
          const l = last.find((s) => s.labels.collector === n)?.value;
          const d = durations.find((s) => s.labels.collector === n)?.value;
          const e = errors.find((s) => s.labels.collector === n)?.value ?? 0;
          return [
            n,
            l ? `${new Date(l * 1000).toISOString()} (${ago(Date.now() - l * 1000)})` : 'never',
            d === undefined ? '-' : formatDuration(d * 1000),
            String(e),
          ];
        });
        process.stdout.write(
          `\n${formatTable(['collector', 'last success', 'last duration', 'errors'], rows)}`,
        );
        process.exit(0);
      } catch (err) {
        process.stderr.write(`askproai: cannot read ${url}: ${safeErrorMessage(err)}\n`);
        process.exit(1);
      }
    });
}
