/**
 * ioredis clients for the monitoring and the service's queues: commands fail fast while Redis is down (no offline queue, one
 * retry, a command timeout) instead of piling up, reconnects back off up to a cap, and connection
 * errors are reported once per outage rather than thrown as unhandled 'error' events.
 */
import { Redis } from 'ioredis';
import { safeErrorMessage } from './snapshot.ts';

export interface MonitorLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A logger that drops everything (the default; the service passes its pino logger). */
export const silentLogger: MonitorLogger = { info() {}, warn() {}, error() {} };

export interface MonitorRedisOptions {
  /** For log lines: `metrics` (snapshot and lock) or `queues`. */
  role?: string;
  /** Longest pause between reconnect attempts. Default 5000 ms. */
  maxBackoffMs?: number;
  /** Per-command timeout. Default 2000 ms. */
  commandTimeoutMs?: number;
  /**
   * A connection for blocking commands (a BullMQ worker's): commands wait through an outage instead
   * of failing fast, and there is no command timeout. Default false.
   */
  blocking?: boolean;
  /** Connect on the first command or `connect()` instead of at once. Default false. */
  lazyConnect?: boolean;
  logger?: MonitorLogger;
}

const reporters = new WeakMap<Redis, (err: Error) => void>();

/**
 * The error handler of a client made by `createMonitorRedis`, for the emitters that re-emit its
 * errors (a BullMQ Queue or Worker): one log line per outage however many report it.
 */
export function redisErrorHandler(client: Redis): (err: Error) => void {
  const report = reporters.get(client);
  if (!report) throw new TypeError('redisErrorHandler: the client was not made by createMonitorRedis');
  return report;
}

/** A Redis client that never queues commands while disconnected and never crashes the process. */
export function createMonitorRedis(url: string, options: MonitorRedisOptions = {}): Redis {
  const maxBackoffMs = options.maxBackoffMs ?? 5000;
  const logger = options.logger ?? silentLogger;
  const role = options.role ?? 'metrics';
  const blocking = options.blocking ?? false;
  const client = new Redis(url, {
    enableOfflineQueue: blocking,
    maxRetriesPerRequest: blocking ? null : 1,
    connectTimeout: Math.min(5000, options.commandTimeoutMs ?? 2000),
    commandTimeout: blocking ? undefined : (options.commandTimeoutMs ?? 2000),
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 10), maxBackoffMs),
    lazyConnect: options.lazyConnect ?? false,
  });
  let down = false;
  const report = (err: Error) => {
    if (down) return;
    down = true;
    logger.warn({ role, err: safeErrorMessage(err) }, 'Redis is unreachable; retrying with backoff');
  };
  reporters.set(client, report);
  client.on('error', report);
  client.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info({ role }, 'Redis is reachable again');
  });
  return client;
}

/** Resolves when the client is ready or after `timeoutMs`, whichever comes first. */
export function whenReady(client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ok);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    client.on('ready', onReady);
  });
}
