#!/usr/bin/env bash
# `npm test` (after scripts/install-deps.sh) and `npm run test:unit`: find the test files, start the throwaway
# Redis, PostgreSQL and MariaDB instances the selected files need on free loopback ports (unless REDIS_URL /
# POSTGRES_URL / MYSQL_URL are already set), run the files with node's test runner and stop everything again
# on the way out. What a file needs is read from its source (scripts/test-needs.js).
#
#   npm test                                   all tests
#   npm test -- test/metrics/foo.test.ts       just these files (directories are expanded)
#   npm test -- --test-name-pattern=redis      options (use the --opt=value form) go to `node --test`
#   npm run test:unit                          the files that need no daemon, tool or package build
#
# Environment: TMPDIR (where the temp dirs go), TEST_SERVICE_TIMEOUT (seconds per service, default 60),
# TEST_FILE_TIMEOUT (seconds a test file may run, default 600: a file whose tests hang, or whose process
# never exits because something it opened is still running, fails with its name instead of stalling
# the whole run; the slowest file takes about 120 s).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

log() { printf '[test.sh] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

SERVICE_TIMEOUT="${TEST_SERVICE_TIMEOUT:-60}"
FILE_TIMEOUT="${TEST_FILE_TIMEOUT:-600}"
started_at=$(date +%s.%N)

# ---------------------------------------------------------------------------------------------------------
# 1. The test files. Node 20 does not glob: find the files ourselves. --unit keeps those that need nothing.
# ---------------------------------------------------------------------------------------------------------
files=()
opts=()
unit=0
for arg in "$@"; do
  if [[ $arg == --unit ]]; then
    unit=1
  elif [[ $arg == -* ]]; then
    opts+=("$arg")
  elif [[ -d $arg ]]; then
    mapfile -t -O "${#files[@]}" files < <(find "$arg" -type f -name '*.test.ts' -not -path '*/node_modules/*' | LC_ALL=C sort)
  else
    files+=("$arg")
  fi
done
if ((${#files[@]} == 0)); then
  mapfile -t files < <(find test -type f -name '*.test.ts' -not -path '*/node_modules/*' | LC_ALL=C sort)
fi
((${#files[@]})) || die "no test files found (test/**/*.test.ts)"


# What each file needs (scripts/test-needs.js): redis, postgres, mysql, tools, pack.
declare -A needed=()
selected=()
while IFS=$'\t' read -r file needs; do
  if ((unit)) && [[ -n $needs ]]; then continue; fi
  selected+=("$file")
  for n in $needs; do needed[$n]=1; done
done < <(node scripts/test-needs.js "${files[@]}")
files=("${selected[@]}")
((${#files[@]})) || die "no test files selected"
if ((unit)); then log "unit tests: ${#files[@]} files that need no daemon, tool or package build"; fi

# ---------------------------------------------------------------------------------------------------------
# 2. Throwaway services, only those the selected files need. Everything lives in one temp dir; the EXIT
#    trap stops the daemons and removes it.
# ---------------------------------------------------------------------------------------------------------
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/askproai-test.XXXXXX")
PG_TMP='' # PostgreSQL's own dir when the postgres user cannot reach TEST_TMP
starter_pids=()

alive() { # alive PID: running and not a zombie
  [[ -n $1 && -e /proc/$1 ]] && ! grep -qE '^[0-9]+ \(.*\) Z ' "/proc/$1/stat" 2>/dev/null
}

stop_pid() { # stop_pid PID SIGNAL: signal, wait up to 5 s, then SIGKILL
  local pid=$1 sig=$2 i
  alive "$pid" || return 0
  kill "-$sig" "$pid" 2>/dev/null || return 0
  for i in $(seq 50); do
    alive "$pid" || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

pidfile_pid() { [[ -s $1 ]] && head -n1 "$1" | tr -dc '0-9' || true; }

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM HUP
  local pid
  for pid in "${starter_pids[@]}"; do kill "$pid" 2>/dev/null; done
  stop_pid "$(pidfile_pid "$TEST_TMP/redis/redis.pid")" TERM &
  # SIGQUIT = PostgreSQL's immediate shutdown: the postmaster takes its backends down with it.
  stop_pid "$(pidfile_pid "${PG_DIR:-/nonexistent}/data/postmaster.pid")" QUIT &
  stop_pid "$(pidfile_pid "$TEST_TMP/mariadb/mariadbd.pid")" TERM &
  wait
  rm -rf "$TEST_TMP" ${PG_TMP:+"$PG_TMP"}
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

free_ports() { # free_ports N: N distinct free loopback ports
  node --input-type=commonjs -e '
    const net = require("node:net");
    const n = Number(process.argv[1]);
    const servers = [];
    let bound = 0;
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      servers.push(s);
      s.listen(0, "127.0.0.1", () => {
        if (++bound === n) {
          console.log(servers.map((x) => x.address().port).join(" "));
          for (const x of servers) x.close();
        }
      });
    }' "$1"
}

fail_service() { # fail_service NAME LOGFILE MESSAGE
  {
    printf '[test.sh] ERROR: %s: %s\n' "$1" "$3"
    if [[ -s $2 ]]; then
      printf '[test.sh] last 30 lines of %s:\n' "$2"
      tail -n 30 "$2" | sed 's/^/    /'
    fi
  } >&2
  exit 1
}

wait_until() { # wait_until NAME LOGFILE PID COMMAND...: poll COMMAND every 0.1 s while PID lives
  local name=$1 logf=$2 pid=$3 deadline
  shift 3
  deadline=$((SECONDS + SERVICE_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    if [[ -n $pid ]] && ! alive "$pid"; then fail_service "$name" "$logf" "the server exited during startup"; fi
    ((SECONDS < deadline)) || fail_service "$name" "$logf" "not ready after ${SERVICE_TIMEOUT}s"
    sleep 0.1
  done
}

as_postgres() {
  if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_redis() {
  local port=$1 dir=$TEST_TMP/redis
  mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
    --logfile "$dir/redis.log" >>"$dir/redis.log" 2>&1 &
  echo $! >"$dir/redis.pid"
  redis_ping() { [[ $(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null) == PONG ]]; }
  wait_until redis "$dir/redis.log" "$!" redis_ping
}

start_postgres() {
  local port=$1 bin
  bin=$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -n1)
  bin=${bin%/initdb}
  mkdir -p "$PG_DIR"
  if [[ $EUID -eq 0 ]]; then chown postgres: "$PG_DIR"; fi
  as_postgres "$bin/initdb" -D "$PG_DIR/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 \
    >"$PG_DIR/initdb.log" 2>&1 || fail_service postgresql "$PG_DIR/initdb.log" "initdb failed"
  as_postgres "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t "$SERVICE_TIMEOUT" \
    -o "-h 127.0.0.1 -p $port -c unix_socket_directories='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >"$PG_DIR/pg_ctl.log" 2>&1 ||
    fail_service postgresql "$PG_DIR/postgres.log" "pg_ctl start failed: $(tail -n 3 "$PG_DIR/pg_ctl.log" | tr '\n' ' ')"
  pg_ready() { "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres; }
  wait_until postgresql "$PG_DIR/postgres.log" "" pg_ready
}

start_mariadb() {
  local port=$1 dir=$TEST_TMP/mariadb user=()
  mkdir -p "$dir"
  if [[ $EUID -eq 0 ]]; then user=(--user=root); fi
  mariadb-install-db --no-defaults --datadir="$dir/data" "${user[@]}" --auth-root-authentication-method=normal \
    --skip-test-db >"$dir/install.log" 2>&1 || fail_service mariadb "$dir/install.log" "mariadb-install-db failed"
  mariadbd --no-defaults --datadir="$dir/data" "${user[@]}" --bind-address=127.0.0.1 --port="$port" \
    --socket="$dir/mariadbd.sock" --pid-file="$dir/mariadbd-ignored.pid" --log-error="$dir/mariadbd.log" \
    --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --innodb-buffer-pool-size=64M \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci >>"$dir/mariadbd.log" 2>&1 &
  echo $! >"$dir/mariadbd.pid"
  my_ping() { mariadb-admin --no-defaults --protocol=tcp -h 127.0.0.1 -P "$port" -u root ping; }
  wait_until mariadb "$dir/mariadbd.log" "$!" my_ping
  mariadb --no-defaults --protocol=tcp -h 127.0.0.1 -P "$port" -u root -e 'CREATE DATABASE IF NOT EXISTS test' \
    >"$dir/create.log" 2>&1 || fail_service mariadb "$dir/create.log" "CREATE DATABASE test failed"
}

want=()
[[ -n ${REDIS_URL:-} || -z ${needed[redis]:-} ]] || want+=(redis)
[[ -n ${POSTGRES_URL:-} || -z ${needed[postgres]:-} ]] || want+=(postgres)
[[ -n ${MYSQL_URL:-} || -z ${needed[mysql]:-} ]] || want+=(mariadb)
for svc in "${want[@]}"; do
  case $svc in
  redis) command -v redis-server >/dev/null || die "redis-server is missing: run scripts/install-deps.sh (npm test does)" ;;
  postgres) compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || die "PostgreSQL is missing: run scripts/install-deps.sh (npm test does)" ;;
  mariadb) command -v mariadbd >/dev/null || die "MariaDB is missing: run scripts/install-deps.sh (npm test does)" ;;
  esac
done

if ((${#want[@]})); then
  read -r -a ports <<<"$(free_ports "${#want[@]}")"
  declare -A starter_of=()
  for i in "${!want[@]}"; do
    svc=${want[$i]}
    port=${ports[$i]}
    case $svc in
    redis)
      export REDIS_URL="redis://127.0.0.1:$port"
      ;;
    postgres)
      PG_DIR=$TEST_TMP/postgres
      # initdb runs as the postgres user, which must be able to reach the data dir.
      if [[ $EUID -eq 0 ]] && ! runuser -u postgres -- test -x "$TEST_TMP/." 2>/dev/null; then
        chmod 755 "$TEST_TMP"
        if ! runuser -u postgres -- test -x "$TEST_TMP/." 2>/dev/null; then
          PG_TMP=$(mktemp -d /tmp/askproai-test-pg.XXXXXX)
          chmod 755 "$PG_TMP"
          PG_DIR=$PG_TMP/postgres
        fi
      fi
      export POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
      ;;
    mariadb)
      export MYSQL_URL="mysql://root@127.0.0.1:$port/test"
      ;;
    esac
    ("start_$svc" "$port") &
    starter_pids+=("$!")
    starter_of[$svc]=$!
  done
  failed=()
  for svc in "${want[@]}"; do
    wait "${starter_of[$svc]}" || failed+=("$svc")
  done
  starter_pids=()
  ((${#failed[@]} == 0)) || die "could not start: ${failed[*]}"
  log "started ${want[*]} in $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $started_at }")s"
fi
log "$(printf 'REDIS_URL=%s POSTGRES_URL=%s MYSQL_URL=%s' "${REDIS_URL:-}" "${POSTGRES_URL:-}" "${MYSQL_URL:-}" |
  sed -E 's#(://[^:/@ ]*):[^@/ ]*@#\1:***@#g')"

# The ship tests pack the project once per run and share it through this directory.
export ASKPROAI_TEST_TMP=$TEST_TMP

set +e
node --import tsx --test --test-concurrency=2 --test-timeout=$((FILE_TIMEOUT * 1000)) --test-reporter=spec \
  "${opts[@]}" "${files[@]}"
rc=$?
set -e
exit "$rc"
