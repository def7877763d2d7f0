import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { mysqlUrl, postgresUrl } from './env.ts';
import { isAddressInUse, withFreePort } from './ports.ts';
import { type ManagedProcess, makeTempDir, processError, removeTempDir, spawnProcess } from './processes.ts';

export interface FreshDb {
  /** Connection URL of the new, empty database. */
  url: string;
  /** Its name. */
  name: string;
  /** Drop it (closes other sessions first). Idempotent. */
  drop(): Promise<void>;
}

/** A name no other test (file, process or run) uses at the same time. */
function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** A new empty PostgreSQL database on the server from POSTGRES_URL. */
export async function freshPostgresDb(): Promise<FreshDb> {
  const server = postgresUrl();
  const name = uniqueName('t');
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: server });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`CREATE DATABASE "${name}"`);
  let dropped: Promise<void> | undefined;
  return {
    url: withDatabase(server, name),
    name,
    drop: () => {
      dropped ??= run(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      return dropped;
    },
  };
}

/** A new empty MariaDB/MySQL database on the server from MYSQL_URL. */
export async function freshMysqlDb(): Promise<FreshDb> {
  const server = mysqlUrl();
  const name = uniqueName('t');
  const run = async (sql: string) => {
    const connection = await mysql.createConnection(server);
    try {
      await connection.query(sql);
    } finally {
      await connection.end();
    }
  };
  await run(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  let dropped: Promise<void> | undefined;
  return {
    url: withDatabase(server, name),
    name,
    drop: () => {
      dropped ??= run(`DROP DATABASE IF EXISTS \`${name}\``);
      return dropped;
    },
  };
}

/**
 * Redis database numbers are shared by every test, so tests on REDIS_URL keep apart by key prefix:
 * `const prefix = redisKeyPrefix()` → "test:<pid>:<random>:". Pass it to BullMQ as `prefix` or to ioredis
 * as `keyPrefix`, and clean up with SCAN `${prefix}*`.
 */
export function redisKeyPrefix(label = 'test'): string {
  return `${label}:${process.pid}:${randomBytes(4).toString('hex')}:`;
}

export interface RedisServer {
  /** redis://127.0.0.1:PORT */
  url: string;
  port: number;
  /** The running redis-server (its output, pid, exit). Replaced by restart(). */
  process: ManagedProcess;
  /** SIGKILL: the server vanishes the way a crash or a network cut looks to clients. */
  crash(): Promise<void>;
  /** Start it again on the same port (after stop() or crash()); data is gone. */
  restart(): Promise<void>;
  /** Stop it and remove its temp dir. */
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /** Use this port instead of a fresh free one. */
  port?: number;
  /** Extra redis-server arguments, e.g. ['--maxmemory', '10mb']. */
  args?: string[];
  timeoutMs?: number;
}

/** A private redis-server on a free loopback port, for tests that stop, kill or restart Redis. */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const dir = await makeTempDir('redis');
  const launch = (port: number) =>
    spawnProcess(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        ...(options.args ?? []),
      ],
      {
        name: `redis-server :${port}`,
        readyWhen: (out) => out.includes('Ready to accept connections'),
        timeoutMs: options.timeoutMs ?? 15_000,
      },
    );
  let port = options.port ?? 0;
  const launchOn = (p: number) => {
    port = p;
    return launch(p);
  };
  let proc: ManagedProcess;
  try {
    proc = options.port === undefined ? await withFreePort(launchOn) : await launch(options.port);
  } catch (error) {
    await removeTempDir(dir);
    throw error;
  }
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    get process() {
      return proc;
    },
    async crash() {
      proc.kill('SIGKILL');
      await proc.exited;
    },
    async restart() {
      if (proc.exitStatus() === null) await proc.stop();
      // The old owner of the port may need a moment to release it.
      let lastError: unknown;
      for (let i = 0; i < 20; i++) {
        try {
          proc = await launch(port);
          return;
        } catch (error) {
          lastError = error;
          if (!isAddressInUse(error)) break;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      throw lastError instanceof Error ? lastError : processError(proc, String(lastError));
    },
    async stop() {
      await proc.stop();
      await removeTempDir(dir);
    },
  };
  return server;
}
