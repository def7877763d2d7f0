/** Where the leader keeps the latest snapshot: this process's memory, or Redis for many instances. */
import type { Redis } from 'ioredis';
import { redisKeyPrefix } from '../defaults.ts';
import { parseSnapshot, type Snapshot } from './snapshot.ts';

export interface SnapshotStore {
  /** Short description for the CLI, e.g. `redis` or `memory`. */
  readonly kind: string;
  read(): Promise<Snapshot | undefined>;
  write(snapshot: Snapshot): Promise<void>;
}

export class MemorySnapshotStore implements SnapshotStore {
  readonly kind = 'memory';
  private value: Snapshot | undefined;
  async read(): Promise<Snapshot | undefined> {
    return this.value;
  }
  async write(snapshot: Snapshot): Promise<void> {
    this.value = snapshot;
  }
}

export interface RedisSnapshotStoreOptions {
  /** Default `askproai:metrics:snapshot`. */
  key?: string;
  /** The snapshot expires when nobody refreshes it for this long. Default 1 day. */
  ttlMs?: number;
}

export class RedisSnapshotStore implements SnapshotStore {
  readonly kind = 'redis';
  readonly key: string;
  private readonly ttlMs: number;
  constructor(
    private readonly redis: Redis,
    options: RedisSnapshotStoreOptions = {},
  ) {
    this.key = options.key ?? `${redisKeyPrefix()}snapshot`;
    this.ttlMs = options.ttlMs ?? 86_400_000;
  }
  async read(): Promise<Snapshot | undefined> {
    this.assertConnected();
    return parseSnapshot(await this.redis.get(this.key));
  }
  async write(snapshot: Snapshot): Promise<void> {
    this.assertConnected();
    await this.redis.set(this.key, JSON.stringify(snapshot), 'PX', this.ttlMs);
  }

  private assertConnected(): void {
    if (this.redis.status !== 'ready')
      throw new Error(`Redis for metrics is not connected (${this.redis.status})`);
  }
}
