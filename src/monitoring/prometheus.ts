/**
 * prometheus.yml for the compose stack, and the entrypoint that renders the optional remote_write
 * block from the environment at container start (Prometheus 2.42 does not expand variables in its
 * configuration file).
 */
import type { Context } from './context.ts';
import { YAML_QUOTE_FUNCTION } from './shell.ts';
import { basicAuth } from './webauth.ts';

/** Folder (inside the container) the rule files are mounted at. */
export const RULES_DIR = '/etc/prometheus/rules';

export function prometheusConfig(ctx: Context): Record<string, unknown> {
  const { config } = ctx;
  const j = config.jobs;
  const t = config.targets;
  const staticJob = (job: string, target: string) => ({
    job_name: job,
    static_configs: [{ targets: [target] }],
  });
  return {
    global: {
      scrape_interval: config.intervals.scrape,
      scrape_timeout: config.intervals.scrapeTimeout,
      evaluation_interval: config.intervals.evaluation,
      external_labels: { monitor: 'askproai' },
    },
    rule_files: [`${RULES_DIR}/*.yml`],
    // Alertmanager and Prometheus itself answer only with basic auth (webauth.ts); Prometheus reads the
    // password file on every request, so a changed password needs no reload.
    alerting: {
      alertmanagers: [
        { basic_auth: basicAuth(ctx, 'alertmanager'), static_configs: [{ targets: [t.alertmanager] }] },
      ],
    },
    scrape_configs: [
      {
        job_name: j.service,
        metrics_path: t.metricsPath,
        authorization: { type: 'Bearer', credentials_file: t.serviceTokenFile },
        static_configs: [{ targets: [...t.service] }],
        // The service inside the stack (compose profile `app`), found by DNS: no target while it is off.
        dns_sd_configs: [
          {
            names: [t.serviceInStack.split(':')[0]],
            type: 'A',
            port: Number(t.serviceInStack.split(':')[1]),
          },
        ],
      },
      { ...staticJob(j.prometheus, t.prometheus), basic_auth: basicAuth(ctx, 'prometheus') },
      { ...staticJob(j.alertmanager, t.alertmanager), basic_auth: basicAuth(ctx, 'alertmanager') },
      staticJob(j.node, t.node),
      staticJob(j.redis, t.redis),
      // Static targets: a stopped exporter is `up == 0` (TargetDown), never a target that vanishes.
      ...t.databaseExporters.map((db) => staticJob(j[db], t[db])),
    ],
  };
}

export interface EntrypointOptions {
  /** The comment under `#!/bin/sh`: what the script renders and the variables it reads (without `# `). */
  comment: string[];
  /** Where the configuration comes from: a default path, or the message when PROMETHEUS_CONFIG_SOURCE is unset. */
  source: { default: string } | { required: string };
  /** Shell functions `render` uses, before it. */
  functions?: string[];
  /** The body of `render` after `cat "$source_config"`: prints what it appends to the file. */
  render: string;
}

/**
 * A Prometheus container entrypoint, the single-host one and the HA replicas' alike: `entrypoint.sh
 * render` prints the configuration it would run with (used by the tests); otherwise it renders it into
 * the data volume (temp file, then rename) and execs Prometheus with the remaining arguments.
 * Prometheus 2.42 does not expand variables in its configuration file, hence the rendering.
 */
export function entrypointScript(options: EntrypointOptions): string {
  const source = 'default' in options.source ? `:-${options.source.default}` : `:?${options.source.required}`;
  return `#!/bin/sh
${options.comment.map((l) => `# ${l}`).join('\n')}
set -eu

source_config=\${PROMETHEUS_CONFIG_SOURCE${source}}
rendered_config=\${PROMETHEUS_CONFIG_RENDERED:-/prometheus/prometheus.rendered.yml}

${(options.functions ?? []).map((f) => `${f}\n\n`).join('')}render() {
  cat "$source_config"
${options.render}}

if [ "\${1:-}" = render ]; then
  render
  exit
fi
render >"$rendered_config.tmp"
mv "$rendered_config.tmp" "$rendered_config"
exec /bin/prometheus --config.file="$rendered_config" "$@"
`;
}

/** The single-host Prometheus entrypoint: adds the optional remote_write block from the environment. */
export function prometheusEntrypoint(): string {
  return entrypointScript({
    comment: [
      'Renders prometheus.yml with an optional remote_write block, then starts Prometheus.',
      '  PROMETHEUS_REMOTE_WRITE_URL       enable remote_write to this URL (VictoriaMetrics, Mimir, Thanos Receive)',
      '  PROMETHEUS_REMOTE_WRITE_USERNAME  basic auth user (the password is read from',
      '  PROMETHEUS_REMOTE_WRITE_PASSWORD_FILE, default /run/secrets/remote_write_password)',
    ],
    source: { default: '/etc/prometheus/prometheus.yml' },
    functions: [YAML_QUOTE_FUNCTION],
    render: `  url=\${PROMETHEUS_REMOTE_WRITE_URL:-}
  [ -n "$url" ] || return 0
  case $url in
  http://* | https://*) ;;
  *)
    echo "PROMETHEUS_REMOTE_WRITE_URL must start with http:// or https://" >&2
    return 1
    ;;
  esac
  printf '\\nremote_write:\\n  - url: %s\\n' "$(yaml_quote "$url")"
  if [ -n "\${PROMETHEUS_REMOTE_WRITE_USERNAME:-}" ]; then
    printf '    basic_auth:\\n      username: %s\\n      password_file: %s\\n' \\
      "$(yaml_quote "$PROMETHEUS_REMOTE_WRITE_USERNAME")" \\
      "$(yaml_quote "\${PROMETHEUS_REMOTE_WRITE_PASSWORD_FILE:-/run/secrets/remote_write_password}")"
  fi
`,
  });
}
