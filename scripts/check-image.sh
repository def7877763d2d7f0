#!/usr/bin/env bash
# Builds the container image (Dockerfile) with a real Docker engine and checks the running container.
# Not part of `npm test` (it needs a Docker daemon and root). Usage, from the repository root:
#
#   sudo bash scripts/check-image.sh            # stand-in bases (if missing), build, run, check
#   sudo bash scripts/check-image.sh bases      # only the stand-in base images
#   sudo bash scripts/check-image.sh check      # build and check, with whatever node:20.20.2-* images exist
#
# Base images: when `node:20.20.2-bookworm` / `node:20.20.2-bookworm-slim` are not in the local image store
# (no registry access), stand-ins are built: Debian bookworm from debootstrap (MIRROR; minbase without
# docs for slim, minbase plus python3, make, g++, git, ca-certificates, curl, wget, xz-utils, procps for
# the full one), this machine's Node.js (which must be the tag's version) with npm and corepack under
# /usr/local, the user `node` (1000:1000, /home/node) and the official images' docker-entrypoint.sh,
# ENTRYPOINT and CMD. Not in the stand-ins: yarn, and the many other -dev packages of the official full
# (buildpack-deps) image. The full stand-in also carries Node's headers in root's node-gyp cache,
# standing in for node-gyp's download from nodejs.org when neither that nor better-sqlite3's prebuilt
# binary on GitHub is reachable, and, when NODE_EXTRA_CA_CERTS is set here (a TLS proxy in front of the
# npm registry), that file and variable.
# Pull the official images first (docker pull) to check against them instead.
#
# Environment: MIRROR (Debian mirror, default http://deb.debian.org/debian), PORT (host port for the
# container, on the host network; default 18080), IMAGE (tag to build, default askproai-monitoring:check),
# REBUILD_BASES=1 (rebuild the stand-ins even if the tags exist), KEEP=1 (leave the container running).
set -euo pipefail

cd "$(dirname "$0")/.."
MIRROR=${MIRROR:-http://deb.debian.org/debian}
PORT=${PORT:-18080}
IMAGE=${IMAGE:-askproai-monitoring:check}
NODE_TAG=$(sed -n 's/^FROM node:\([0-9.]*\)-bookworm-slim.*/\1/p' Dockerfile)
FULL=node:${NODE_TAG}-bookworm
SLIM=node:${NODE_TAG}-bookworm-slim
PHASE=${1:-all}

log() { printf '\n== %s\n' "$*" >&2; }
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}
ok() { printf 'ok: %s\n' "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

WORK=$(mktemp -d /tmp/check-image.XXXXXX)
CID=
cleanup() {
  if [ -n "$CID" ] && [ "${KEEP:-}" != 1 ]; then docker rm -f "$CID" >/dev/null 2>&1 || true; fi
  if [ -n "${VOLUME:-}" ] && [ "${KEEP:-}" != 1 ]; then docker volume rm "$VOLUME" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# The official images' entrypoint (docker-library/node, docker-entrypoint.sh), verbatim.
entrypoint() {
  cat <<'EOF'
#!/bin/sh
set -e

# Run command with node if the first argument contains a "-" or is not a system command. The last
# part inside the "{}" is a workaround for the following bug in ash/dash:
# https://bugs.debian.org/cgi-bin/bugreport.cgi?bug=874264
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi

exec "$@"
EOF
}

# stand_in <tag> <debootstrap --include list, or empty>
stand_in() {
  local tag=$1 include=$2 root="$WORK/rootfs-${1##*-}"
  local node prefix
  in_root() { env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin chroot "$root" "$@"; }
  node=$(readlink -f "$(command -v node)")
  prefix=$(dirname "$(dirname "$node")")
  [ "$(node -p process.versions.node)" = "$NODE_TAG" ] ||
    fail "this machine's Node.js is $(node -v), the Dockerfile's base images are $NODE_TAG"
  [ -d "$prefix/lib/node_modules/npm" ] || fail "no npm under $prefix/lib/node_modules"
  command -v debootstrap >/dev/null || fail 'debootstrap is not installed (apt-get install debootstrap)'
  log "stand-in $tag: debootstrap bookworm${include:+ + $include} from $MIRROR"
  local t0
  t0=$(now)
  nice -n 19 debootstrap --variant=minbase ${include:+--include="$include"} bookworm "$root" "$MIRROR" \
    >"$WORK/debootstrap-${tag##*-}.log" 2>&1 || {
    tail -20 "$WORK/debootstrap-${tag##*-}.log" >&2
    fail "debootstrap for $tag"
  }
  # Node.js at /usr/local, as the official images install it from the release tarball.
  install -D -m 755 "$node" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules" "$root/usr/local/include"
  cp -a "$prefix/lib/node_modules/npm" "$root/usr/local/lib/node_modules/"
  [ -d "$prefix/lib/node_modules/corepack" ] && cp -a "$prefix/lib/node_modules/corepack" "$root/usr/local/lib/node_modules/"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  [ -d "$root/usr/local/lib/node_modules/corepack" ] && ln -s ../lib/node_modules/corepack/dist/corepack.js "$root/usr/local/bin/corepack"
  ln -s node "$root/usr/local/bin/nodejs"
  [ -d "$prefix/include/node" ] && cp -a "$prefix/include/node" "$root/usr/local/include/"
  entrypoint >"$root/usr/local/bin/docker-entrypoint.sh"
  chmod 755 "$root/usr/local/bin/docker-entrypoint.sh"
  if [ -n "$include" ] && [ -d "$prefix/include/node" ]; then
    local gyp="$root/root/.cache/node-gyp/$NODE_TAG"
    mkdir -p "$gyp/include"
    cp -a "$prefix/include/node" "$gyp/include/"
    node -p "require('$prefix/lib/node_modules/npm/node_modules/node-gyp/package.json').installVersion" >"$gyp/installVersion"
  fi
  if [ -z "$include" ]; then
    # As debian:bookworm-slim (debuerreotype --slimify): no documentation, manual pages or translations.
    printf 'path-exclude /usr/share/%s/*\n' doc groff info linda lintian/overrides locale man \
      >"$root/etc/dpkg/dpkg.cfg.d/docker"
    echo 'path-include /usr/share/doc/*/copyright' >>"$root/etc/dpkg/dpkg.cfg.d/docker"
    find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "$root"/usr/share/{groff,info,linda,lintian/overrides,locale,man}/*
  fi
  local extra_ca=()
  if [ -n "$include" ] && [ -f "${NODE_EXTRA_CA_CERTS:-}" ]; then
    # This machine reaches the npm registry through a TLS proxy whose CA Node.js is told about; the
    # build stages need the same (the runtime stage, FROM the slim image, does not get it).
    install -m 644 "$NODE_EXTRA_CA_CERTS" "$root/usr/local/share/extra-ca-certificates.crt"
    extra_ca=(--change "ENV NODE_EXTRA_CA_CERTS=/usr/local/share/extra-ca-certificates.crt")
  fi
  in_root sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
  in_root /usr/local/bin/node -e 'process.exit(0)' || fail "node does not run in the $tag root"
  in_root apt-get clean
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/*.log "$root"/tmp/*
  tar --numeric-owner -C "$root" -c . |
    docker import \
      --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
      --change "ENV NODE_VERSION=$NODE_TAG" \
      --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
      --change 'CMD ["node"]' "${extra_ca[@]}" \
      - "$tag" >/dev/null
  rm -rf "$root"
  ok "$tag built in $(since "$t0") s: $(docker image inspect --format '{{.Size}}' "$tag" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
}

bases() {
  [ "$(id -u)" = 0 ] || fail 'building the stand-in bases needs root (debootstrap, chroot)'
  if [ "${REBUILD_BASES:-}" = 1 ] || ! docker image inspect "$SLIM" >/dev/null 2>&1; then
    stand_in "$SLIM" ''
  else
    ok "$SLIM exists"
  fi
  if [ "${REBUILD_BASES:-}" = 1 ] || ! docker image inspect "$FULL" >/dev/null 2>&1; then
    stand_in "$FULL" 'ca-certificates,curl,wget,git,python3,make,g++,xz-utils,procps'
  else
    ok "$FULL exists"
  fi
}

check() {
  log "docker build -t $IMAGE ."
  local t0
  t0=$(now)
  nice -n 19 docker build --network host -t "$IMAGE" . >"$WORK/build.log" 2>&1 || {
    tail -40 "$WORK/build.log" >&2
    fail 'docker build'
  }
  ok "built in $(since "$t0") s; image size $(docker image inspect --format '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }')"

  log 'image contents'
  local user
  user=$(docker image inspect --format '{{.Config.User}}' "$IMAGE")
  [ "$user" = node ] || fail "image user is '$user'"
  docker run --rm --network none --user 0 --entrypoint sh "$IMAGE" -c '
    set -e
    cd /app
    echo "  /app: $(ls -A | tr "\n" " ")"
    for f in src test bench scripts docs observability deploy .git .env tsconfig.json package-lock.json; do
      if [ -e "$f" ]; then echo "unexpected in the image: /app/$f"; exit 1; fi
    done
    test -f node_modules/better-sqlite3/build/Release/better_sqlite3.node
    if [ -n "$(ls -A /run/secrets 2>/dev/null)" ]; then echo "secrets baked into /run/secrets"; exit 1; fi
    found=$(find / -xdev \( -name "*.pem" -o -name "*.key" -o -name ".env" -o -name ".env.*" -o -name "*.test.*" -o -name "*.spec.*" -o -name metrics_token -o -name session_secret -o -name retell_api_key -o -name calcom_webhook_secret \) \
      -not -path "/usr/*" -not -path "/etc/ssl/*" -not -path "/proc/*" -not -path "/app/node_modules/*" 2>/dev/null)
    if [ -n "$found" ]; then echo "unexpected files: $found"; exit 1; fi
    echo "  /app/data: $(stat -c "%U:%G %a" data)"
  ' || fail 'image contents'
  # Every package npm installed in the image is one package-lock.json does not mark as dev-only.
  docker run --rm --network none --entrypoint cat "$IMAGE" /app/node_modules/.package-lock.json >"$WORK/installed.json"
  node -e '
    const lock = require(process.argv[1]).packages;
    const installed = Object.keys(require(process.argv[2]).packages);
    const dev = installed.filter((p) => !lock[p] || lock[p].dev || lock[p].devOptional);
    if (dev.length) { console.error("dev dependencies in the image:", dev.join(", ")); process.exit(1); }
    console.error(`  ${installed.length} packages in node_modules, none dev-only`);
  ' "$PWD/package-lock.json" "$WORK/installed.json" || fail 'dev dependencies in the image'
  ok 'no source, tests, dev dependencies or secret files in the image; better-sqlite3 addon present'

  log "docker run on the host network, port $PORT"
  local secrets="$WORK/secrets" token
  mkdir -m 700 "$secrets"
  token=$(node -e "process.stdout.write(require('node:crypto').randomBytes(32).toString('hex'))")
  printf '%s\n' "$token" >"$secrets/metrics_token"
  for s in retell_api_key calcom_webhook_secret session_secret; do
    node -e "console.log(require('node:crypto').randomBytes(32).toString('hex'))" >"$secrets/$s"
  done
  # Readable by the container's `node` user (1000) only.
  chown -R 1000:1000 "$secrets"
  chmod 400 "$secrets"/*
  VOLUME=askproai-check-data-$$
  t0=$(now)
  CID=$(docker run -d --network host -e PORT="$PORT" -e LOG_LEVEL=info \
    -v "$secrets:/run/secrets:ro" -v "$VOLUME:/app/data" "$IMAGE")
  local url="http://127.0.0.1:$PORT" up=''
  for _ in $(seq 1 600); do
    if curl -fsS -o /dev/null "$url/api/health" 2>/dev/null; then
      up=$(since "$t0")
      break
    fi
    [ "$(docker inspect --format '{{.State.Running}}' "$CID")" = true ] || break
    sleep 0.1
  done
  [ -n "$up" ] || {
    docker logs "$CID" 2>&1 | tail -30 >&2
    fail 'the service did not answer /api/health'
  }
  ok "/api/health answers $(since "$t0") s after docker run"

  local pid1
  pid1=$(docker exec "$CID" sh -c 'echo "$(id -un) $(cat /proc/1/cmdline | tr "\0" " ")"')
  [ "${pid1%% *}" = node ] || fail "runs as ${pid1%% *}"
  case "$pid1" in *"node bin/askproai.js serve"*) ;; *) fail "PID 1 is $pid1" ;; esac
  ok "runs as user node, PID 1: ${pid1#* }"
  docker exec "$CID" node -e "process.exit(process.env.NODE_ENV === 'production' ? 0 : 1)" ||
    fail 'NODE_ENV is not production'

  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' "$url/api/metrics")
  [ "$code" = 401 ] || fail "/api/metrics without the token: $code"
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer wrong' "$url/api/metrics")
  [ "$code" = 401 ] || fail "/api/metrics with a wrong token: $code"
  curl -fsS -H "Authorization: Bearer $token" "$url/api/metrics" >"$WORK/metrics.txt" ||
    fail '/api/metrics with the token'
  grep -q '^# TYPE askproai_bookings_total counter$' "$WORK/metrics.txt" || fail '/api/metrics content'
  ok "/api/metrics: 401 without or with a wrong token, 200 with the token ($(wc -l <"$WORK/metrics.txt") lines)"

  # The embedded SQLite database: the service created it in /app/data (a named volume, initialised from
  # the image's folder), and the node user can write to it through better-sqlite3.
  docker exec "$CID" node -e "
    const Database = require('better-sqlite3');
    const db = new Database('data/askproai.sqlite');
    db.exec('CREATE TABLE IF NOT EXISTS image_check (at TEXT)');
    db.prepare('INSERT INTO image_check VALUES (?)').run(new Date().toISOString());
    db.exec('DROP TABLE image_check');
    const tables = db.prepare(\"SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'\").get().n;
    console.log('  ' + tables + ' tables, journal ' + db.pragma('journal_mode', { simple: true }));
  " || fail 'the SQLite database in /app/data is not writable'
  docker exec "$CID" sh -c 'echo "  /app/data: $(ls -ln data | tail -n +2 | awk "{ print \$3\":\"\$4, \$1, \$NF }" | tr "\n" ";")"'
  docker logs "$CID" 2>&1 | grep 'Database:  SQLite /app/data/askproai.sqlite' >/dev/null || fail 'the service did not use the embedded SQLite'
  ok 'the embedded SQLite database in /app/data is in use and writable'
  if docker logs "$CID" 2>&1 | grep -F -f <(cat "$secrets"/*) >/dev/null; then fail 'a secret appears in the logs'; fi
  ok 'no secret value in the container log'

  log 'HEALTHCHECK'
  local health=''
  for _ in $(seq 1 1200); do
    health=$(docker inspect --format '{{.State.Health.Status}}' "$CID")
    [ "$health" = starting ] || break
    sleep 0.1
  done
  [ "$health" = healthy ] || fail "health status: $health"
  ok "healthy $(since "$t0") s after docker run (the first check runs one interval after start)"

  log 'docker stop'
  t0=$(now)
  docker stop "$CID" >/dev/null
  local stopped exit
  stopped=$(since "$t0")
  exit=$(docker inspect --format '{{.State.ExitCode}} OOMKilled={{.State.OOMKilled}}' "$CID")
  [ "${exit%% *}" = 0 ] || {
    docker logs "$CID" 2>&1 | tail -10 >&2
    fail "exit code $exit after docker stop"
  }
  docker logs "$CID" 2>&1 | grep '"signal":"SIGTERM"' >/dev/null || fail 'no shutdown log line for SIGTERM'
  ok "docker stop: exit code 0 after ${stopped} s (SIGTERM handled, no SIGKILL)"
}

case "$PHASE" in
  bases) bases ;;
  check) check ;;
  all)
    bases
    check
    ;;
  *) fail "unknown phase $PHASE (bases, check, all)" ;;
esac
