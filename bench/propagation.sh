#!/usr/bin/env bash
# Propagation benchmark: three clustered Sluice nodes (one JVM, one Hazelcast cluster) on a fresh database
# of the local PostgreSQL, BENCH_CHANGES changes committed with plain SQL at BENCH_RATE per second; prints
# the time from commit to applied on every node (p50/p90/p99/max) beside a 5-second polling gateway, on idle
# nodes and again while they carry proxy traffic (BENCH_CONCURRENCY requests in flight), and
# writes the table as markdown to target/bench/propagation.md (propagation-pg-core.md with BENCH_PG_CORE; BENCH_OUT changes the directory; untracked:
# `make bench RECORD=1` appends it to bench/RESULTS.md).
#
# Knobs: BENCH_CHANGES (1000), BENCH_RATE (100 per second), BENCH_NODES (3), BENCH_CONCURRENCY (16; 0: idle only),
#        BENCH_WARMUP_CHANGES (2000 changes before the runs, not measured: the JIT compiles the change path),
#        BENCH_PG (postgresql://postgres@127.0.0.1:5432), JAVA, HZ_OPTS, SLUICE_JAR (target/sluice.jar),
#        BENCH_NODE_TRANSPORT (node.transport of the nodes: auto, io_uring, epoll or nio; default auto),
#        BENCH_PG_CORE (empty; a core number: PostgreSQL pinned to that core and the benchmark's JVM to the others,
#        as when the database has a machine of its own; see pg_core_layout in bench/lib.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
JAR=${SLUICE_JAR:-target/sluice.jar}
JAVA=${JAVA:-java}
HZ_OPTS=${HZ_OPTS:---add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED --add-opens java.management/sun.management=ALL-UNNAMED --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED}
OUT=${BENCH_OUT:-$ROOT/target/bench}
case $OUT in /*) ;; *) OUT="$ROOT/$OUT" ;; esac # relative to the checkout (make bench passes target/bench)
[ -f "$JAR" ] || { echo "propagation.sh: $JAR is missing (make build)" >&2; exit 1; }
mkdir -p "$OUT"
part=propagation${BENCH_PG_CORE:+-pg-core} # the pinned layout has a file of its own
raw="$OUT/$part.raw"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
BENCH_TAG=propagation
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
on_exit() { pg_unpin; }
pg_core_layout "${BENCH_PG:-postgresql://postgres@127.0.0.1:5432}"
# shellcheck disable=SC2086 # HZ_OPTS is a list of flags
env $(env | awk -F= '/^SLUICE_/ {print "-u " $1}') "${PIN[@]}" "$JAVA" ${BENCH_JAVA_OPTS:--Xmx1g} $HZ_OPTS -cp "$JAR" io.sluice.bench.PropagationBench \
  | tee "$raw"
{
  echo "### Configuration propagation, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, jar of commit $("$JAVA" -jar "$JAR" --version 2>/dev/null | sed -n 's/.*(commit \([^,]*\),.*/\1/p')"
  echo
  echo "- Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $("$JAVA" -version 2>&1 | head -1);"
  echo "  $("$JAVA" -jar "$JAR" --version 2>/dev/null || true)"
  echo "- Load average before / after the run: $load_before / $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine: other"
  echo "  builds and benchmarks may run at the same time; the tail moves with them)"
  echo "- Layout: $LAYOUT"
  echo "- Command: \`bench/propagation.sh\` (BENCH_CHANGES=${BENCH_CHANGES:-1000} BENCH_RATE=${BENCH_RATE:-100} BENCH_NODES=${BENCH_NODES:-3} BENCH_CONCURRENCY=${BENCH_CONCURRENCY:-16} BENCH_WARMUP_CHANGES=${BENCH_WARMUP_CHANGES:-2000}${BENCH_PG_CORE:+ BENCH_PG_CORE=$BENCH_PG_CORE})"
  echo
  grep -E '^propagation' "$raw" || true
  echo
  grep -E '^\|' "$raw" || true
} > "$OUT/$part.md"
echo "written to $OUT/$part.md"
