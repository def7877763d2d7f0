/**
 * The every-minute collection. A croner job (METRICS_COLLECT_CRON) runs every source under its own
 * timeout, never overlapping the previous run. With a leader lock only the lock holder collects; it
 * writes the snapshot to the store, and every instance reads the store on its own timer and applies it
 * to its gauges. Scrapes only ever read those gauges.
 *
 * ```ts
 * const scheduler = new MetricsScheduler({ registry, sources: [tenantsSource({ db })] });
 * scheduler.start();
 * // ... on shutdown
 * await scheduler.stop();
 * ```
 */

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Cron } from 'croner';
import { catalog } from '../catalog.ts';
import type { Registry } from '../core/registry.ts';
import type { MetricDef } from '../core/types.ts';
import { DEFAULTS } from '../defaults.ts';
import { type MetricSource, SourceConfigError } from '../sources/types.ts';
import type { RedisLeaderLock } from './lock.ts';
import { type MonitorLogger, silentLogger } from './redis.ts';
import { runSources } from './run.ts';
import { applySnapshot, definitionsByName, type Snapshot, safeErrorMessage } from './snapshot.ts';
import { MemorySnapshotStore, type SnapshotStore } from './store.ts';

export const DEFAULT_COLLECT_CRON: string = DEFAULTS.collectCron;

export interface SchedulerOptions {
  registry: Registry;
  sources: readonly MetricSource[];
  /** Cron expression (5 fields, or 6 with seconds). Default every minute. */
  cron?: string;
  /** Timeout for sources without their own. Default 10,000 ms. */
  timeoutMs?: number;
  /** Where snapshots go. Default in memory (a single instance). */
  store?: SnapshotStore;
  /** Leader lock shared by the instances; without one, this instance always collects. */
  lock?: RedisLeaderLock;
  /** How often the store is read and applied. Default 15,000 ms. */
  syncIntervalMs?: number;
  /** Id of this instance in snapshots and the lock. Default host:pid:random. */
  instanceId?: string;
  logger?: MonitorLogger;
  /** Collect right after start() instead of waiting for the first cron tick. Default true. */
  runOnStart?: boolean;
  /**
   * Awaited (bounded by the caller) before any run that start() schedules, the run on start and the cron
   * ticks alike, e.g. the Redis connection, so an instance that is still connecting is not mistaken for
   * one whose Redis is down (which would make it collect although another instance holds the lock).
   */
  ready?: () => Promise<unknown>;
  now?: () => number;
}

export interface CollectOptions {
  /** Run even when another instance holds the lock (`metrics:collect --immediate`). */
  force?: boolean;
}

export interface CollectOutcome {
  /** False when the run was skipped. */
  ran: boolean;
  /** Why it was skipped: another instance leads, or a run is in progress. */
  skipped?: 'not_leader' | 'busy';
  /** True: this instance held the lock; false: another did; undefined: no lock or Redis unreachable. */
  leader: boolean | undefined;
  snapshot?: Snapshot;
  /** Set when the snapshot could not be stored (it was still applied locally). */
  storeError?: string;
}

export function defaultInstanceId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** Throws a SourceConfigError naming METRICS_COLLECT_CRON when `cron` is not a valid expression. */
export function assertCron(cron: string, setting = 'METRICS_COLLECT_CRON'): void {
  try {
    new Cron(cron, { paused: true }).stop();
  } catch (err) {
    throw new SourceConfigError(
      `${setting}: ${JSON.stringify(cron)} is not a cron expression (${(err as Error).message})`,
    );
  }
}

export class MetricsScheduler {
  readonly instanceId: string;
  readonly cron: string;
  readonly store: SnapshotStore;
  private readonly registry: Registry;
  private readonly sources: readonly MetricSource[];
  private readonly timeoutMs: number;
  private readonly lock: RedisLeaderLock | undefined;
  private readonly syncIntervalMs: number;
  private readonly logger: MonitorLogger;
  private readonly runOnStart: boolean;
  private readonly ready: (() => Promise<unknown>) | undefined;
  private readonly now: () => number;
  private readonly defs: Map<string, MetricDef>;
  private job: Cron | undefined;
  private timers: NodeJS.Timeout[] = [];
  /** Settles once `ready` has (or start() was called without it); every scheduled run waits for it. */
  private started: Promise<void> = Promise.resolve();
  private running: Promise<CollectOutcome> | undefined;
  private applied: Snapshot | undefined;
  private leading: boolean | undefined;
  private localRuns = 0;

  constructor(options: SchedulerOptions) {
    this.registry = options.registry;
    this.sources = options.sources;
    this.cron = options.cron ?? DEFAULT_COLLECT_CRON;
    assertCron(this.cron);
    const names = new Set<string>();
    for (const s of this.sources) {
      if (!s.name || names.has(s.name))
        throw new SourceConfigError(
          `collector names must be unique and non-empty: ${JSON.stringify(s.name)}`,
        );
      names.add(s.name);
    }
    this.timeoutMs = options.timeoutMs ?? DEFAULTS.collectorTimeoutMs;
    this.store = options.store ?? new MemorySnapshotStore();
    this.lock = options.lock;
    this.syncIntervalMs = options.syncIntervalMs ?? 15_000;
    this.instanceId = options.instanceId ?? defaultInstanceId();
    this.logger = options.logger ?? silentLogger;
    this.runOnStart = options.runOnStart ?? true;
    this.ready = options.ready;
    this.now = options.now ?? Date.now;
    this.defs = definitionsByName(this.sources.flatMap((s) => s.metrics));
  }

  /** Collections this instance has run itself. */
  get runs(): number {
    return this.localRuns;
  }

  /** Whether this instance held the lock at the last check (undefined: no lock, or Redis unreachable). */
  get isLeader(): boolean | undefined {
    return this.lock ? this.leading : true;
  }

  /** The snapshot the gauges currently show. */
  get current(): Snapshot | undefined {
    return this.applied;
  }

  nextRun(): Date | null {
    return this.job?.nextRun() ?? new Cron(this.cron, { paused: true }).nextRun();
  }

  /** Starts the cron job, the lock heartbeat and the store sync. Returns at once; nothing here waits on I/O. */
  start(): void {
    if (this.job) return;
    this.started = this.ready
      ? this.ready().then(
          () => {},
          () => {},
        )
      : Promise.resolve();
    this.job = new Cron(this.cron, { protect: true, unref: true, catch: true }, () => this.tick());
    if (this.lock) {
      const lock = this.lock;
      const heartbeat = () => {
        lock.acquire().then(
          (held) => {
            this.leading = held;
          },
          () => {
            this.leading = undefined;
          },
        );
      };
      this.timers.push(setInterval(heartbeat, Math.max(50, Math.floor(lock.ttlMs / 3))));
    }
    if (this.store.kind !== 'memory')
      this.timers.push(setInterval(() => void this.sync(), this.syncIntervalMs));
    for (const t of this.timers) t.unref();
    if (this.runOnStart) void this.started.then(() => this.sync()).then(() => this.tick());
  }

  /** Stops everything; by default gives the lock up so another instance takes over without waiting. */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.job?.stop();
    this.job = undefined;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.running?.catch(() => {});
    if (this.lock && (options.release ?? true)) await this.lock.release().catch(() => {});
  }

  /** Reads the store and applies its snapshot when it is newer than the one shown. Never throws. */
  async sync(): Promise<Snapshot | undefined> {
    try {
      const stored = await this.store.read();
      if (stored && (!this.applied || stored.takenAt > this.applied.takenAt)) this.apply(stored);
      return stored;
    } catch (err) {
      this.logger.warn(
        { err: safeErrorMessage(err) },
        'Reading the metrics snapshot failed; serving the last one',
      );
      return undefined;
    }
  }

  /** One collection now (the cron job calls this too). Never overlaps a running one. */
  async collect(options: CollectOptions = {}): Promise<CollectOutcome> {
    if (this.running) return { ran: false, skipped: 'busy', leader: this.leading };
    const run = this.collectNow(options.force ?? false);
    this.running = run;
    try {
      return await run;
    } finally {
      this.running = undefined;
    }
  }

  private async tick(): Promise<void> {
    try {
      // A tick that comes while the Redis connection is still being made waits for it (bounded by
      // `ready`), instead of taking "not connected yet" for "Redis is down" and collecting locally.
      await this.started;
      if (!this.job) return; // stopped meanwhile: a run now could take the lock stop() gave up
      await this.collect();
    } catch (err) {
      this.logger.error({ err: safeErrorMessage(err) }, 'Metrics collection failed');
    }
  }

  private async collectNow(force: boolean): Promise<CollectOutcome> {
    let leader: boolean | undefined;
    if (this.lock) {
      try {
        leader = await this.lock.acquire();
      } catch (err) {
        // Redis is down: nobody can tell who leads, so this instance collects for itself rather than
        // letting its gauges go stale. The values come from the same databases, so they agree.
        leader = undefined;
        this.logger.warn({ err: safeErrorMessage(err) }, 'Leader lock unavailable; collecting locally');
      }
      this.leading = leader;
      if (leader === false && !force) return { ran: false, skipped: 'not_leader', leader };
    }
    let previous = this.applied;
    try {
      const stored = await this.store.read();
      if (stored && (!previous || stored.takenAt > previous.takenAt)) previous = stored;
    } catch {
      // Store unreachable: carry over from what this instance last showed.
    }
    const snapshot = await runSources(this.sources, {
      defaultTimeoutMs: this.timeoutMs,
      previous,
      instance: this.instanceId,
      schedule: this.cron,
      now: this.now,
    });
    this.localRuns++;
    this.recordHealth(snapshot);
    this.apply(snapshot);
    let storeError: string | undefined;
    try {
      await this.store.write(snapshot);
    } catch (err) {
      storeError = safeErrorMessage(err);
      this.logger.warn(
        { err: storeError },
        'Storing the metrics snapshot failed; it is served by this instance only',
      );
    }
    for (const c of snapshot.collectors) {
      if (c.status === 'error' || c.status === 'timeout') {
        this.logger.warn({ collector: c.name, status: c.status, err: c.error }, 'Metrics collector failed');
      }
    }
    return { ran: true, leader, snapshot, storeError };
  }

  private recordHealth(snapshot: Snapshot): void {
    const duration = this.registry.gauge(catalog.metricsCollectionDuration);
    const errors = this.registry.counter(catalog.metricsCollectionErrors);
    for (const c of snapshot.collectors) {
      if (c.status === 'not_configured') continue;
      duration.with1(c.name).set(c.durationMs / 1000);
      // Start at 0 so rate() and increase() see the first failure.
      const counter = errors.with1(c.name);
      if (c.status === 'error' || c.status === 'timeout') counter.inc();
    }
  }

  private apply(snapshot: Snapshot): void {
    applySnapshot(this.registry, snapshot, this.defs);
    this.applied = snapshot;
  }
}
