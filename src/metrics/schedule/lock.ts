/**
 * The leader lock: one Redis key holding the leader's instance id with an expiry. The holder renews it
 * well before it expires; when the holder dies, the key expires and the next instance that tries takes
 * it. Renew and release compare the id first, so an instance never extends or deletes a lock it lost.
 */
import type { Redis } from 'ioredis';
import { redisKeyPrefix } from '../defaults.ts';

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface LeaderLockOptions {
  /** Default `askproai:metrics:leader`. */
  key?: string;
  /** Expiry in ms. Default 30,000; renewed every third of it. */
  ttlMs?: number;
}

export class RedisLeaderLock {
  readonly key: string;
  readonly ttlMs: number;
  constructor(
    private readonly redis: Redis,
    readonly id: string,
    options: LeaderLockOptions = {},
  ) {
    this.key = options.key ?? `${redisKeyPrefix()}leader`;
    this.ttlMs = options.ttlMs ?? 30_000;
    if (!Number.isInteger(this.ttlMs) || this.ttlMs < 100)
      throw new RangeError(`lock ttlMs must be >= 100, got ${this.ttlMs}`);
  }

  /** Takes the lock when free or renews it when held; true when this instance holds it. Throws on Redis errors. */
  async acquire(): Promise<boolean> {
    const set = await this.redis.set(this.key, this.id, 'PX', this.ttlMs, 'NX');
    if (set === 'OK') return true;
    const renewed = await this.redis.eval(RENEW, 1, this.key, this.id, String(this.ttlMs));
    return Number(renewed) === 1;
  }

  /** Gives the lock up if held, so another instance can take over at once. */
  async release(): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, this.id);
  }

  /** The current holder's id, or null. */
  async holder(): Promise<string | null> {
    return this.redis.get(this.key);
  }
}
