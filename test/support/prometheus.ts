import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  fetchJson,
  type PromApiResponse,
  type PromSample,
  type PromSeries,
  promQueryClient,
  type RangeOptions,
} from './http.ts';
import { withFreePort } from './ports.ts';
import { type ManagedProcess, makeTempDir, removeTempDir, spawnProcess } from './processes.ts';
import { waitFor } from './wait.ts';
import { type BasicAuth, writeWebConfig } from './webauth.ts';

export interface ConfigContext {
  /** The port the server will listen on (known before the config is written). */
  port: number;
  /** http://127.0.0.1:PORT */
  url: string;
  /** The temp dir holding the config, rule files and data. */
  dir: string;
}

export interface PrometheusOptions {
  /** prometheus.yml; a function receives the port, e.g. for a job that scrapes Prometheus itself. */
  configYaml: string | ((ctx: ConfigContext) => string);
  /** Rule files written next to the config; list them in `rule_files:` by these names. */
  ruleFiles?: Record<string, string>;
  /** Any other files next to the config (credentials_file, file_sd targets ...). */
  files?: Record<string, string>;
  extraArgs?: string[];
  timeoutMs?: number;
  /** Run behind basic auth (`--web.config.file` with a bcrypt hash); the client sends the credentials. */
  basicAuth?: BasicAuth;
  /**
   * Samples at past timestamps, in OpenMetrics text (ending `# EOF`): written into the TSDB as blocks by
   * `promtool tsdb create-blocks-from openmetrics` before Prometheus starts, so range queries see them.
   * Retention is then 100 years, or blocks months apart would expire each other.
   */
  backfill?: string;
  /** `--web.enable-lifecycle` (default true; the compose stacks run without it). */
  lifecycle?: boolean;
}

export interface PromTarget {
  labels: Record<string, string>;
  discoveredLabels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrape: string;
}

export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  activeAt?: string;
  value: string;
}

export interface Prometheus {
  url: string;
  /** The Authorization header when running behind basic auth ({} otherwise). */
  authHeaders: Record<string, string>;
  port: number;
  dir: string;
  process: ManagedProcess;
  /** Instant query (POST /api/v1/query); returns `data.result`. */
  query(promql: string, time?: Date | number): Promise<PromSample[]>;
  /** Range query (POST /api/v1/query_range); returns `data.result`. */
  queryRange(promql: string, range?: RangeOptions): Promise<PromSeries[]>;
  /** Active targets of /api/v1/targets. */
  targets(): Promise<PromTarget[]>;
  /** /api/v1/alerts: pending and firing alerts. */
  alerts(): Promise<PromAlert[]>;
  /** /api/v1/rules groups. */
  rules(): Promise<unknown[]>;
  /** Rewrite the config (and files) and POST /-/reload. */
  reload(next?: Pick<PrometheusOptions, 'configYaml' | 'ruleFiles' | 'files'>): Promise<void>;
  /** Poll `probe` until it returns a value (see wait.ts). */
  waitFor<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs: number, what: string): Promise<T>;
  stop(): Promise<void>;
}

export async function startPrometheus(options: PrometheusOptions): Promise<Prometheus> {
  const dir = await makeTempDir('prometheus');
  const configFile = join(dir, 'prometheus.yml');
  const writeAll = async (
    ctx: ConfigContext,
    opts: Pick<PrometheusOptions, 'configYaml' | 'ruleFiles' | 'files'>,
  ) => {
    const files = { ...opts.ruleFiles, ...opts.files };
    await Promise.all(Object.entries(files).map(([name, text]) => writeFile(join(dir, name), text)));
    const yaml = typeof opts.configYaml === 'function' ? opts.configYaml(ctx) : opts.configYaml;
    await writeFile(configFile, yaml);
  };

  let ctx: ConfigContext = { port: 0, url: '', dir };
  let proc: ManagedProcess;
  const auth = options.basicAuth ? await writeWebConfig(dir, options.basicAuth) : undefined;
  const authHeaders = auth?.headers ?? {};
  try {
    if (options.backfill !== undefined) {
      const input = join(dir, 'backfill.om');
      await writeFile(input, options.backfill);
      await promisify(execFile)(
        'promtool',
        ['tsdb', 'create-blocks-from', 'openmetrics', input, join(dir, 'data')],
        { timeout: 60_000 },
      );
    }
    proc = await withFreePort(async (port) => {
      ctx = { port, url: `http://127.0.0.1:${port}`, dir };
      await writeAll(ctx, options);
      return spawnProcess(
        '/usr/bin/prometheus',
        [
          ...(auth ? [`--web.config.file=${auth.file}`] : []),
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          ...(options.lifecycle === false ? [] : ['--web.enable-lifecycle']),
          `--web.external-url=${ctx.url}/`,
          ...(options.backfill !== undefined ? ['--storage.tsdb.retention.time=100y'] : []),
          ...(options.extraArgs ?? []),
        ],
        {
          name: 'prometheus',
          cwd: dir,
          readyUrl: `${ctx.url}/-/ready`,
          readyHeaders: authHeaders,
          timeoutMs: options.timeoutMs ?? 30_000,
        },
      );
    });
  } catch (error) {
    await removeTempDir(dir);
    throw error;
  }

  const api = promQueryClient(ctx.url, authHeaders);
  const get = async <T>(path: string): Promise<T> =>
    (await fetchJson<PromApiResponse<T>>(`${ctx.url}${path}`, { headers: authHeaders })).data;
  return {
    url: ctx.url,
    authHeaders,
    port: ctx.port,
    dir,
    process: proc,
    query: (promql, time) => api.query(promql, time),
    queryRange: (promql, range) => api.queryRange(promql, range),
    targets: async () => (await get<{ activeTargets: PromTarget[] }>('/api/v1/targets')).activeTargets,
    alerts: async () => (await get<{ alerts: PromAlert[] }>('/api/v1/alerts')).alerts,
    rules: async () => (await get<{ groups: unknown[] }>('/api/v1/rules')).groups,
    async reload(next) {
      if (next) await writeAll(ctx, next);
      const response = await fetch(`${ctx.url}/-/reload`, { method: 'POST', headers: authHeaders });
      const text = await response.text();
      if (!response.ok) throw new Error(`Prometheus reload failed (${response.status}): ${text}`);
    },
    waitFor: (probe, timeoutMs, what) => waitFor(probe, { timeoutMs, what }),
    async stop() {
      await proc.stop();
      await removeTempDir(dir);
    },
  };
}
