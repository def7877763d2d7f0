import { fetchText } from './http.ts';
import { withFreePort } from './ports.ts';
import { type ManagedProcess, spawnProcess } from './processes.ts';

export interface Exporter {
  /** http://127.0.0.1:PORT */
  url: string;
  /** http://127.0.0.1:PORT/metrics */
  metricsUrl: string;
  /** 127.0.0.1:PORT, for a scrape config's static_configs targets. */
  target: string;
  port: number;
  process: ManagedProcess;
  /** GET /metrics as text. */
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

function exporter(port: number, proc: ManagedProcess): Exporter {
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    metricsUrl: `${url}/metrics`,
    target: `127.0.0.1:${port}`,
    port,
    process: proc,
    metrics: () => fetchText(`${url}/metrics`),
    stop: () => proc.stop(),
  };
}

/** prometheus-node-exporter (systemd collector off: there is no systemd bus in CI containers). */
export function startNodeExporter(extraArgs: string[] = []): Promise<Exporter> {
  return withFreePort(async (port) => {
    const proc = await spawnProcess(
      'prometheus-node-exporter',
      ['--no-collector.systemd', `--web.listen-address=127.0.0.1:${port}`, ...extraArgs],
      { name: 'node-exporter', readyUrl: `http://127.0.0.1:${port}/metrics`, timeoutMs: 20_000 },
    );
    return exporter(port, proc);
  });
}

/** prometheus-redis-exporter for the Redis at `redisUrl` (redis://host:port). */
export function startRedisExporter(redisUrl: string, extraArgs: string[] = []): Promise<Exporter> {
  return withFreePort(async (port) => {
    const proc = await spawnProcess(
      'prometheus-redis-exporter',
      ['-web.listen-address', `127.0.0.1:${port}`, '-redis.addr', redisUrl, ...extraArgs],
      { name: 'redis-exporter', readyUrl: `http://127.0.0.1:${port}/metrics`, timeoutMs: 20_000 },
    );
    return exporter(port, proc);
  });
}
