/**
 * Basic auth on the Prometheus and Alertmanager web servers of the compose stacks. Neither image has a
 * bcrypt tool, so a one-shot `web-config` service (the httpd image, for `htpasswd`) runs render.sh at
 * stack start: it reads each password from its secret file and writes the `--web.config.file` with only
 * the bcrypt hash, plus the HTTP client configuration the health checks use (promtool, amtool), into the
 * `web-config` volume both servers mount read-only. The clients' side (basic_auth with password_file) is
 * in prometheus.ts, grafana.ts and ha.ts.
 */
import type { Context } from './context.ts';
import { failFunction, readPasswordFunction, YAML_QUOTE_FUNCTION } from './shell.ts';

/** The two web servers. */
export type WebServer = 'prometheus' | 'alertmanager';
export const WEB_SERVERS: readonly WebServer[] = ['prometheus', 'alertmanager'];

/** Image of the `web-config` service: it ships `htpasswd` (bcrypt with -B). */
export const WEB_CONFIG_IMAGE = 'httpd:2.4.62-alpine';

/** Files render.sh writes, relative to the web-config folder. */
export const webConfigFiles = {
  /** `--web.config.file` of the server: `basic_auth_users` with the bcrypt hash. */
  server: (s: WebServer) => `${s}-web.yml`,
  /** HTTP client configuration (`basic_auth` with `password_file`) for promtool and amtool. */
  client: (s: WebServer) => `${s}-client.yml`,
} as const;

/** Paths of the webauth files, relative to the repository root (see generate.ts). */
export const webAuthPaths = {
  dir: 'observability/web-config',
  render: 'observability/web-config/render.sh',
} as const;

/** `--web.config.file=...` for the server, inside its container. */
export function webConfigFlag(ctx: Context, server: WebServer): string {
  return `--web.config.file=${ctx.config.webAuth.dir}/${webConfigFiles.server(server)}`;
}

/** The `basic_auth` block of a Prometheus client of `server` (password read from the secret file per request). */
export function basicAuth(ctx: Context, server: WebServer): { username: string; password_file: string } {
  const { user, passwordFile } = ctx.config.webAuth[server];
  return { username: user, password_file: passwordFile };
}

/** The secret names (under /run/secrets) of the two passwords. */
export function webSecretName(ctx: Context, server: WebServer): string {
  return ctx.config.webAuth[server].passwordFile.slice('/run/secrets/'.length);
}

/** How often and how patiently compose checks the servers' health. */
const HEALTHCHECK_TIMING = { interval: '15s', timeout: '5s', retries: 5 } as const;

/**
 * Compose health check of a server behind basic auth whose image has no client that sends the password
 * without putting it on a command line (Prometheus, VictoriaMetrics, vmalert): it answers, and refuses
 * `path` without credentials.
 */
export function refusingHealthcheck(port: number, path: string): Record<string, unknown> {
  return {
    test: [
      'CMD-SHELL',
      `wget -S -q -O /dev/null http://localhost:${port}${path} 2>&1 | grep -q 'HTTP/1.[01] 401'`,
    ],
    ...HEALTHCHECK_TIMING,
  };
}

/**
 * Compose health check of a server. Alertmanager's goes through basic auth (amtool reads the password
 * file named in the client configuration). Prometheus' image has no client that sends basic auth without
 * the password on a command line, which every local process can read: its check is that Prometheus
 * answers and refuses a request without credentials (the self-scrape is the check with them).
 */
export function webHealthcheck(ctx: Context, server: WebServer, port: number): Record<string, unknown> {
  if (server === 'prometheus') return refusingHealthcheck(port, '/-/ready');
  return {
    test: [
      'CMD',
      '/bin/amtool',
      `--http.config.file=${ctx.config.webAuth.dir}/${webConfigFiles.client(server)}`,
      `--alertmanager.url=http://localhost:${port}`,
      'config',
      'show',
    ],
    ...HEALTHCHECK_TIMING,
  };
}

/**
 * render.sh: run by the `web-config` service (and by the tests, outside a container). Refuses a password
 * that breaks the rules of shell.ts (`readPasswordFunction`) or is longer than bcrypt takes (72), naming
 * the file, never the content. Writes each file atomically (temp file, then rename), so a server never
 * reads half a configuration.
 */
export function webConfigScript(ctx: Context): string {
  const w = ctx.config.webAuth;
  const lines = WEB_SERVERS.map(
    (s) =>
      `render ${s} ${w[s].user} ${webSecretName(ctx, s)} ${webConfigFiles.server(s)} ${webConfigFiles.client(s)}`,
  );
  return `#!/bin/sh
# Writes the --web.config.file of Prometheus and Alertmanager: one user each with the bcrypt hash of the
# password in its secret file (never the password itself), and the client configuration their health
# checks use. The compose service \`web-config\` runs it once at stack start; the servers read the files
# on every request, so rerunning it (docker-compose up -d --force-recreate web-config) changes a password.
#   WEB_CONFIG_SECRETS  folder of the secret files (default /run/secrets)
#   WEB_CONFIG_DIR      where the files go (default /web-config)
set -eu

secrets=\${WEB_CONFIG_SECRETS:-/run/secrets}
out=\${WEB_CONFIG_DIR:-/web-config}
cost=${w.bcryptCost}

${failFunction('web-config')}

${YAML_QUOTE_FUNCTION}

${readPasswordFunction({ maxLength: 72, reason: 'bcrypt' })}

# write <file>: stdin to <file>, atomically, readable by the servers (they run as another user).
write() {
  cat >"$out/.$1.tmp"
  chmod 0644 "$out/.$1.tmp"
  mv "$out/.$1.tmp" "$out/$1"
}

# render <server> <user> <secret> <server file> <client file>
render() {
  file=$secrets/$3
  read_password "$file" "the $1 password"
  # printf is a shell builtin: the password is in no command line.
  line=$(printf '%s\\n' "$password" | htpasswd -niBC "$cost" "$2") || fail "htpasswd failed for $1"
  hash=\${line#"$2":}
  case $hash in
  '$2'[aby]'$'*) ;;
  *) fail "htpasswd gave no bcrypt hash for $1" ;;
  esac
  printf 'basic_auth_users:\\n  %s: %s\\n' "$2" "$(yaml_quote "$hash")" | write "$4"
  printf 'basic_auth:\\n  username: %s\\n  password_file: %s\\n' "$2" "$(yaml_quote "$file")" | write "$5"
}

mkdir -p "$out"
${lines.join('\n')}
echo "web-config: wrote ${WEB_SERVERS.map((s) => webConfigFiles.server(s)).join(', ')} (bcrypt cost $cost)"
`;
}
