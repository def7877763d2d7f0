/**
 * Log aggregation: a single-binary Loki with filesystem storage (its configuration takes no input and
 * is the plain file observability/loki/loki.yml) and a Promtail that ships the service's JSON log lines
 * (pino, written to LOG_FILE) to it. The stream labels are the ones the service pushes itself with
 * LOKI_URL: job and service (fixed), env (from the line), level; Promtail's own `filename` is dropped.
 * Everything else stays in the line, where LogQL's `| json` reads it.
 */
import type { Context } from './context.ts';

/** Where the compose file mounts the service's log directory inside the Promtail container. */
export const SERVICE_LOG_DIR = '/var/log/askproai';

const PINO_LEVELS: [string, string][] = [
  ['10', 'trace'],
  ['20', 'debug'],
  ['30', 'info'],
  ['40', 'warn'],
  ['50', 'error'],
  ['60', 'fatal'],
];

export function promtailConfig(ctx: Context): Record<string, unknown> {
  const levelName = `${PINO_LEVELS.map(([n, name], i) => `${i === 0 ? '{{ if' : '{{ else if'} eq .Value "${n}" }}${name}`).join('')}{{ else }}{{ .Value }}{{ end }}`;
  return {
    server: { http_listen_port: 9080, grpc_listen_port: 0, log_level: 'warn' },
    positions: { filename: '/run/promtail/positions.yaml' },
    clients: [{ url: 'http://loki:3100/loki/api/v1/push' }],
    scrape_configs: [
      {
        job_name: ctx.config.jobs.service,
        static_configs: [
          {
            targets: ['localhost'],
            labels: {
              job: ctx.config.jobs.service,
              service: ctx.config.jobs.service,
              __path__: `${SERVICE_LOG_DIR}/*.log`,
            },
          },
        ],
        pipeline_stages: [
          { json: { expressions: { level: 'level', time: 'time', env: 'env' } } },
          { template: { source: 'level', template: levelName } },
          { labels: { level: '', env: '' } },
          { labeldrop: ['filename'] },
          { timestamp: { source: 'time', format: 'UnixMs', action_on_failure: 'skip' } },
        ],
      },
    ],
  };
}
