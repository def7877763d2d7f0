/**
 * ioredis clients for the monitoring: commands fail fast while Redis is down (no offline queue, one
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
  logger?: MonitorLogger;
}

/** A Redis client that never queues commands while disconnected and never crashes the process. */
export function createMonitorRedis(url: string, options: MonitorRedisOptions = {}): Redis {
  const maxBackoffMs = options.maxBackoffMs ?? 5000;
  const logger = options.logger ?? silentLogger;
  const role = options.role ?? 'metrics';
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: Math.min(5000, options.commandTimeoutMs ?? 2000),
    commandTimeout: options.commandTimeoutMs ?? 2000,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 10), maxBackoffMs),
    lazyConnect: false,
  });
  let down = false;
  client.on('error', (err) => {
    if (down) return;
    down = true;
    logger.warn(
      { role, err: safeErrorMessage(err) },
      'Redis for the monitoring is unreachable; retrying with backoff',
    );
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info({ role }, 'Redis for the monitoring is reachable again');
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
