/**
 * `askproai_queue_size{queue}` (jobs waiting to run: waiting + delayed + prioritized) and
 * `askproai_queue_jobs{queue,state}` for BullMQ queues, plus plain Redis list queues (LLEN).
 *
 * BullMQ keeps each state in one key (`<prefix>:<queue>:wait` list, `:delayed` sorted set, ...), and its
 * own `getJobCounts()` is LLEN/ZCARD over those keys; reading them in one pipeline costs one round trip
 * for all queues and needs no BullMQ connection bookkeeping.
 */
import type { Redis } from 'ioredis';
import { catalog, type QueueJobState } from '../catalog.ts';
import { DEFAULTS } from '../defaults.ts';
import { type MetricSource, notConfiguredSource, type Sample, SourceConfigError } from './types.ts';

export interface QueuesSourceOptions {
  /** The application's Redis (where the queues live); undefined makes the source "not configured". */
  redis: Redis | undefined;
  /** BullMQ queue names. */
  bullmq?: readonly string[];
  /** Plain Redis list keys, each counted with LLEN (the label is the key). */
  lists?: readonly string[];
  /** BullMQ key prefix. Default `bull`. */
  prefix?: string;
  timeoutMs?: number;
}

/** How each state is stored and which key suffix holds it. */
const STATES: ReadonlyArray<{ state: QueueJobState; key: string; kind: 'list' | 'zset' }> = [
  { state: 'waiting', key: 'wait', kind: 'list' },
  { state: 'delayed', key: 'delayed', kind: 'zset' },
  { state: 'prioritized', key: 'prioritized', kind: 'zset' },
  { state: 'active', key: 'active', kind: 'list' },
  { state: 'completed', key: 'completed', kind: 'zset' },
  { state: 'failed', key: 'failed', kind: 'zset' },
  { state: 'paused', key: 'paused', kind: 'list' },
];
const WAITING_STATES: ReadonlySet<QueueJobState> = new Set(['waiting', 'delayed', 'prioritized']);

const QUEUE_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
const LIST_KEY = /^[\x21-\x7e]{1,200}$/;
const METRICS = [catalog.queueSize, catalog.queueJobs];

/**
 * Splits METRICS_QUEUES entries into BullMQ names and plain list keys (`list:<key>`), checking both.
 * `parseQueueList(['default', 'list:queues:mail'])` gives `{ bullmq: ['default'], lists: ['queues:mail'] }`.
 */
export function parseQueueList(
  entries: readonly string[],
  setting = 'METRICS_QUEUES',
): { bullmq: string[]; lists: string[] } {
  const bullmq: string[] = [];
  const lists: string[] = [];
  for (const entry of entries) {
    if (entry.startsWith('list:')) {
      const key = entry.slice(5);
      if (!LIST_KEY.test(key))
        throw new SourceConfigError(`${setting}: ${JSON.stringify(entry)} is not a usable Redis key`);
      lists.push(key);
    } else {
      if (!QUEUE_NAME.test(entry)) {
        throw new SourceConfigError(
          `${setting}: ${JSON.stringify(entry)} is not a BullMQ queue name (letters, digits, . _ -); prefix plain Redis lists with list:`,
        );
      }
      bullmq.push(entry);
    }
  }
  return { bullmq, lists };
}

export function queuesSource(options: QueuesSourceOptions): MetricSource {
  const { bullmq, lists } = parseQueueList([
    ...(options.bullmq ?? []),
    ...(options.lists ?? []).map((k) => `list:${k}`),
  ]);
  const prefix = options.prefix ?? DEFAULTS.queuePrefix;
  if (!LIST_KEY.test(prefix) || prefix.includes(' ')) {
    throw new SourceConfigError(
      `METRICS_QUEUE_PREFIX: ${JSON.stringify(prefix)} is not a usable Redis key prefix`,
    );
  }
  const redis = options.redis;
  if (!redis) return notConfiguredSource('queues', METRICS, 'no Redis configured (REDIS_URL)');
  if (bullmq.length === 0 && lists.length === 0) {
    return notConfiguredSource('queues', METRICS, 'no queues configured (METRICS_QUEUES)');
  }
  return {
    name: 'queues',
    metrics: METRICS,
    timeoutMs: options.timeoutMs,
    async collect() {
      // Without the offline queue a disconnected client fails with a cryptic stream error; say it plainly.
      if (redis.status !== 'ready') throw new Error(`Redis for queues is not connected (${redis.status})`);
      const pipeline = redis.pipeline();
      for (const q of bullmq) {
        for (const s of STATES) {
          const key = `${prefix}:${q}:${s.key}`;
          if (s.kind === 'list') pipeline.llen(key);
          else pipeline.zcard(key);
        }
      }
      for (const key of lists) pipeline.llen(key);
      const replies = (await pipeline.exec()) ?? [];
      const values = replies.map(([err, value]) => {
        if (err) throw err;
        return Number(value);
      });
      const samples: Sample[] = [];
      let i = 0;
      for (const q of bullmq) {
        let waiting = 0;
        for (const s of STATES) {
          const n = values[i++] ?? 0;
          if (WAITING_STATES.has(s.state)) waiting += n;
          samples.push({ metric: catalog.queueJobs, labels: [q, s.state], value: n });
        }
        samples.push({ metric: catalog.queueSize, labels: [q], value: waiting });
      }
      for (const key of lists) {
        const n = values[i++] ?? 0;
        samples.push({ metric: catalog.queueJobs, labels: [key, 'waiting'], value: n });
        samples.push({ metric: catalog.queueSize, labels: [key], value: n });
      }
      return samples;
    },
  };
}
