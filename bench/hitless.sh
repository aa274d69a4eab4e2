#!/usr/bin/env bash
# Hitless-change benchmark (issue 19): three clustered nodes (one JVM) over 10,000 routes written with SQL,
# steady traffic on the half that never changes, then a quiet phase, one change per second and 50 changes
# per second (BENCH_SECONDS each). Prints, per phase, the answers other than 200 (goal 0), proxy p50/p99
# (goal: p99 at 50 changes/s at most 2x the quiet one) and the slowest node's lag behind the database (goal
# under 100 ms; sampled, and per change: commit to applied on every node, and of it commit to the leader's
# event), and writes the table to target/bench/hitless.md (BENCH_OUT changes the directory).
#
# Before the phases, BENCH_WARMUP_SECONDS of changes at the burst rate under the same traffic, not counted: the
# nodes' change path compiled by the JIT, as in a node that has run a while.
#
# Knobs: BENCH_ROUTES (10000), BENCH_NODES (3), BENCH_SECONDS (60), BENCH_BURST_RATE (50),
#        BENCH_WARMUP_SECONDS (20), BENCH_CONCURRENCY (16), BENCH_PG, JAVA, HZ_OPTS, SLUICE_JAR (target/sluice.jar),
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
[ -f "$JAR" ] || { echo "hitless.sh: $JAR is missing (make build)" >&2; exit 1; }
mkdir -p "$OUT"
raw="$OUT/hitless.raw"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
BENCH_TAG=hitless
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
on_exit() { pg_unpin; }
pg_core_layout "${BENCH_PG:-postgresql://postgres@127.0.0.1:5432}"
# shellcheck disable=SC2086 # HZ_OPTS is a list of flags
env $(env | awk -F= '/^SLUICE_/ {print "-u " $1}') "${PIN[@]}" "$JAVA" ${BENCH_JAVA_OPTS:--Xmx2g} $HZ_OPTS -cp "$JAR" io.sluice.bench.HitlessBench \
  | tee "$raw"
{
  echo "### Hitless changes at scale, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, jar of commit $("$JAVA" -jar "$JAR" --version 2>/dev/null | sed -n 's/.*(commit \([^,]*\),.*/\1/p')"
  echo
  echo "- Load average before / after the run: $load_before / $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- Command: \`bench/hitless.sh\` (BENCH_ROUTES=${BENCH_ROUTES:-10000} BENCH_NODES=${BENCH_NODES:-3} BENCH_SECONDS=${BENCH_SECONDS:-60} BENCH_BURST_RATE=${BENCH_BURST_RATE:-50} BENCH_WARMUP_SECONDS=${BENCH_WARMUP_SECONDS:-20} BENCH_CONCURRENCY=${BENCH_CONCURRENCY:-16}${BENCH_PG_CORE:+ BENCH_PG_CORE=$BENCH_PG_CORE}); nodes, load generator and upstream in one JVM"
  echo "- Layout: $LAYOUT"
  echo
  grep -E '^hitless' "$raw" || true
  echo
  grep -E '^\|' "$raw" || true
} > "$OUT/hitless.md"
echo "written to $OUT/hitless.md"
