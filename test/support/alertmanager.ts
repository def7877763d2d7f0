import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fetchJson } from './http.ts';
import { withFreePort } from './ports.ts';
import { type ManagedProcess, makeTempDir, removeTempDir, spawnProcess } from './processes.ts';
import type { ConfigContext } from './prometheus.ts';
import { type BasicAuth, writeWebConfig } from './webauth.ts';

export interface AlertmanagerOptions {
  /** alertmanager.yml; a function receives the port. `templates:` paths resolve relative to its dir. */
  configYaml: string | ((ctx: ConfigContext) => string);
  /** Notification templates written next to the config, e.g. { 'slack.tmpl': '...' }. */
  templates?: Record<string, string>;
  extraArgs?: string[];
  timeoutMs?: number;
  /** Run behind basic auth (`--web.config.file` with a bcrypt hash); the client sends the credentials. */
  basicAuth?: BasicAuth;
}

/** An alert as POSTed to /api/v2/alerts. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

export interface GettableAlert extends Required<Pick<PostableAlert, 'labels' | 'annotations'>> {
  fingerprint: string;
  startsAt: string;
  endsAt: string;
  receivers: { name: string }[];
  status: { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[]; inhibitedBy: string[] };
}

export interface Alertmanager {
  url: string;
  /** The Authorization header when running behind basic auth ({} otherwise). */
  authHeaders: Record<string, string>;
  port: number;
  dir: string;
  process: ManagedProcess;
  /** GET /api/v2/alerts */
  alerts(): Promise<GettableAlert[]>;
  /** POST /api/v2/alerts (what Prometheus does), for testing routing and templates without Prometheus. */
  postAlerts(alerts: PostableAlert[]): Promise<void>;
  /** GET /api/v2/status (config.original holds the loaded YAML). */
  status(): Promise<{ config: { original: string }; [key: string]: unknown }>;
  stop(): Promise<void>;
}

export async function startAlertmanager(options: AlertmanagerOptions): Promise<Alertmanager> {
  const dir = await makeTempDir('alertmanager');
  const configFile = join(dir, 'alertmanager.yml');
  let ctx: ConfigContext = { port: 0, url: '', dir };
  let proc: ManagedProcess;
  const auth = options.basicAuth ? await writeWebConfig(dir, options.basicAuth) : undefined;
  const authHeaders = auth?.headers ?? {};
  try {
    await Promise.all(
      Object.entries(options.templates ?? {}).map(([name, text]) => writeFile(join(dir, name), text)),
    );
    proc = await withFreePort(async (port) => {
      ctx = { port, url: `http://127.0.0.1:${port}`, dir };
      const yaml = typeof options.configYaml === 'function' ? options.configYaml(ctx) : options.configYaml;
      await writeFile(configFile, yaml);
      return spawnProcess(
        '/usr/bin/prometheus-alertmanager',
        [
          `--config.file=${configFile}`,
          `--storage.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          `--web.external-url=${ctx.url}/`,
          // No gossip unless the test builds a cluster (then extraArgs names the address).
          ...(options.extraArgs?.some((a) => a.startsWith('--cluster.listen-address'))
            ? []
            : ['--cluster.listen-address=']),
          ...(auth ? [`--web.config.file=${auth.file}`] : []),
          ...(options.extraArgs ?? []),
        ],
        {
          name: 'alertmanager',
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
  return {
    url: ctx.url,
    authHeaders,
    port: ctx.port,
    dir,
    process: proc,
    alerts: () => fetchJson<GettableAlert[]>(`${ctx.url}/api/v2/alerts`, { headers: authHeaders }),
    async postAlerts(alerts) {
      const response = await fetch(`${ctx.url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...authHeaders },
        body: JSON.stringify(alerts),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`POST /api/v2/alerts answered ${response.status}: ${text}`);
    },
    status: () => fetchJson(`${ctx.url}/api/v2/status`, { headers: authHeaders }),
    async stop() {
      await proc.stop();
      await removeTempDir(dir);
    },
  };
}
