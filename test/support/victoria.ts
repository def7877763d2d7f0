import { join } from 'node:path';
import { fetchText, type PromSample, type PromSeries, promQueryClient, type RangeOptions } from './http.ts';
import { withFreePort } from './ports.ts';
import { type ManagedProcess, makeTempDir, removeTempDir, spawnProcess } from './processes.ts';

export interface VictoriaMetrics {
  /** http://127.0.0.1:PORT (answers the Prometheus query API under /api/v1). */
  url: string;
  port: number;
  dir: string;
  /** Prometheus remote_write URL: http://127.0.0.1:PORT/api/v1/write */
  writeUrl: string;
  process: ManagedProcess;
  /** Instant query; returns `data.result`. */
  query(promql: string, time?: Date | number): Promise<PromSample[]>;
  queryRange(promql: string, range?: RangeOptions): Promise<PromSeries[]>;
  /** POST Prometheus exposition text to /api/v1/import/prometheus. */
  importPrometheus(text: string): Promise<void>;
  /** Make recently ingested samples searchable now (/internal/force_flush). */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/** Single-node VictoriaMetrics; `-search.latencyOffset=1s` makes fresh samples visible after ~1 s. */
export async function startVictoriaMetrics(extraArgs: string[] = []): Promise<VictoriaMetrics> {
  const dir = await makeTempDir('victoria');
  let url = '';
  let port = 0;
  let proc: ManagedProcess;
  try {
    proc = await withFreePort((p) => {
      port = p;
      url = `http://127.0.0.1:${p}`;
      return spawnProcess(
        'victoria-metrics',
        [
          `-httpListenAddr=127.0.0.1:${p}`,
          `-storageDataPath=${join(dir, 'data')}`,
          '-search.latencyOffset=1s',
          '-loggerLevel=WARN',
          ...extraArgs,
        ],
        { name: 'victoria-metrics', cwd: dir, readyUrl: `${url}/health`, timeoutMs: 30_000 },
      );
    });
  } catch (error) {
    await removeTempDir(dir);
    throw error;
  }
  const api = promQueryClient(url);
  return {
    url,
    port,
    dir,
    writeUrl: `${url}/api/v1/write`,
    process: proc,
    query: (promql, time) => api.query(promql, time),
    queryRange: (promql, range) => api.queryRange(promql, range),
    async importPrometheus(text) {
      await fetchText(`${url}/api/v1/import/prometheus`, { method: 'POST', body: text });
    },
    async flush() {
      await fetchText(`${url}/internal/force_flush`);
    },
    async stop() {
      await proc.stop();
      await removeTempDir(dir);
    },
  };
}
