#!/usr/bin/env bash
# Runs every benchmark and regenerates the results section of docs/BENCHMARKS.md.
#   bash bench/run.sh          full run (about 10 minutes on 2 CPUs)
#   bash bench/run.sh quick    shorter run (about 3 minutes), noisier figures
#   BENCH_CALLGRIND=1 bash bench/run.sh   also counts the request path's instructions under valgrind
# Micro and scrape benchmarks run pinned to CPU 1 when taskset and two CPUs are there; the
# request-path benchmarks pin their servers (bench/http.ts) or variant processes (bench/inproc.ts)
# to CPU 0 and themselves to CPU 1.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-full}
case "$MODE" in
  quick | full) ;;
  *)
    echo "usage: bash bench/run.sh [quick|full]" >&2
    exit 2
    ;;
esac

PIN=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then PIN=(taskset -c 1); fi

OUT=$(mktemp -d "${TMPDIR:-/tmp}/askproai-bench.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
export BENCH_MODE=$MODE BENCH_OUT_DIR=$OUT
cp /proc/loadavg "$OUT/loadavg-start.txt" 2>/dev/null || echo "0 0 0" >"$OUT/loadavg-start.txt"

echo "[bench] mode $MODE, $(nproc) CPUs, node $(node --version), load $(cut -d' ' -f1-3 "$OUT/loadavg-start.txt")" >&2
"${PIN[@]}" node --expose-gc --import tsx bench/micro.ts
"${PIN[@]}" node --expose-gc --import tsx bench/scrape.ts
"${PIN[@]}" node --import tsx bench/memory.ts
node --import tsx bench/http.ts
node --import tsx bench/inproc.ts
node --import tsx bench/scrape-blocking.ts
# Instruction counts under valgrind: about 10 minutes more, so only on request.
if [ "${BENCH_CALLGRIND:-0}" = 1 ]; then node --import tsx bench/callgrind.ts; fi
node --import tsx bench/report.ts "$OUT" "$MODE"
