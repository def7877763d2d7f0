/**
 * prometheus.yml for the compose stack, and the entrypoint that renders the optional remote_write
 * block from the environment at container start (Prometheus 2.42 does not expand variables in its
 * configuration file).
 */
import type { Context } from './context.ts';
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

/**
 * The Prometheus container's entrypoint. `entrypoint.sh render` prints the configuration it would
 * run with (used by the tests); otherwise it renders it into the data volume and execs Prometheus
 * with the remaining arguments.
 */
export function prometheusEntrypoint(): string {
  return `#!/bin/sh
# Renders prometheus.yml with an optional remote_write block, then starts Prometheus.
#   PROMETHEUS_REMOTE_WRITE_URL       enable remote_write to this URL (VictoriaMetrics, Mimir, Thanos Receive)
#   PROMETHEUS_REMOTE_WRITE_USERNAME  basic auth user (the password is read from
#   PROMETHEUS_REMOTE_WRITE_PASSWORD_FILE, default /run/secrets/remote_write_password)
set -eu

source_config=\${PROMETHEUS_CONFIG_SOURCE:-/etc/prometheus/prometheus.yml}
rendered_config=\${PROMETHEUS_CONFIG_RENDERED:-/prometheus/prometheus.rendered.yml}

yaml_quote() { # a YAML double-quoted scalar
  printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\\\/\\\\\\\\/g' -e 's/"/\\\\"/g')"
}

render() {
  cat "$source_config"
  url=\${PROMETHEUS_REMOTE_WRITE_URL:-}
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
}

if [ "\${1:-}" = render ]; then
  render
  exit
fi
render >"$rendered_config.tmp"
mv "$rendered_config.tmp" "$rendered_config"
exec /bin/prometheus --config.file="$rendered_config" "$@"
`;
}
