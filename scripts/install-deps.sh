#!/usr/bin/env bash
# Installs the Debian packages the tests drive (`npm test` runs this before scripts/test.sh): Prometheus,
# promtool, Alertmanager, the exporters, VictoriaMetrics (and vmalert), docker-compose, kubectl, htpasswd, busybox, Redis,
# PostgreSQL, MariaDB and Chromium. Installs only what is missing, and only as root; otherwise lists what to install and fails.
# `npm run test:unit` needs none of them and does not run this.
#
# Environment: POSTGRES_URL / MYSQL_URL set means the tests use those servers, so their packages are not needed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

log() { printf '[install-deps.sh] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# ---------------------------------------------------------------------------------------------------------
# Tools. Each entry: Debian package, then the commands (or absolute globs) it provides.
# ---------------------------------------------------------------------------------------------------------
missing_pkgs=()
missing_what=()
need() {
  local pkg=$1 b
  shift
  for b in "$@"; do
    if [[ $b == /* ]]; then
      compgen -G "$b" >/dev/null && continue
    else
      command -v "$b" >/dev/null 2>&1 && continue
    fi
    missing_pkgs+=("$pkg")
    missing_what+=("$b (Debian package '$pkg')")
    return 0
  done
}

check_tools() {
  missing_pkgs=()
  missing_what=()
  need prometheus /usr/bin/prometheus promtool
  need prometheus-alertmanager /usr/bin/prometheus-alertmanager amtool
  need prometheus-node-exporter prometheus-node-exporter
  need prometheus-redis-exporter prometheus-redis-exporter
  need victoria-metrics victoria-metrics vmalert
  need docker-compose docker-compose
  need redis-server redis-server redis-cli
  need chromium /usr/bin/chromium
  need kubernetes-client kubectl
  # htpasswd hashes the stack's web passwords (observability/web-config/render.sh, as the httpd image
  # does); busybox runs the compose health checks as the busybox-based images do.
  need apache2-utils htpasswd
  need busybox busybox
  # The database servers are only needed when the tests must start their own.
  if [[ -z ${POSTGRES_URL:-} ]]; then need postgresql '/usr/lib/postgresql/*/bin/initdb'; fi
  if [[ -z ${MYSQL_URL:-} ]]; then need mariadb-server mariadbd mariadb-install-db mariadb-admin mariadb; fi
}

check_tools
if ((${#missing_pkgs[@]})); then
  if [[ $EUID -eq 0 ]]; then
    log "installing missing Debian packages: ${missing_pkgs[*]}"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing_pkgs[@]}"
    check_tools
    ((${#missing_pkgs[@]} == 0)) || die "still missing after apt-get install: ${missing_what[*]}"
  else
    for w in "${missing_what[@]}"; do log "missing: $w"; done
    die "install them first (as root): apt-get install -y ${missing_pkgs[*]}"
  fi
fi

