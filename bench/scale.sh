#!/usr/bin/env bash
# Scale benchmark (issue 19): one node; heap in use (after a full GC) before and after BENCH_CONSUMERS
# (1,000,000) consumers and keys imported with SQL in one transaction (goal: the same within 16 MiB), and
# the start time and heap of a node over that database beside those over 10 consumers (goal: the same).
# Writes the table to target/bench/scale.md (BENCH_OUT changes the directory).
#
# Knobs: BENCH_CONSUMERS (1000000), BENCH_PG, JAVA, HZ_OPTS, SLUICE_JAR (target/sluice.jar),
#        BENCH_JAVA_OPTS (-Xmx256m: a node must fit).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
JAR=${SLUICE_JAR:-target/sluice.jar}
JAVA=${JAVA:-java}
HZ_OPTS=${HZ_OPTS:---add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED --add-opens java.management/sun.management=ALL-UNNAMED --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED}
OUT=${BENCH_OUT:-$ROOT/target/bench}
case $OUT in /*) ;; *) OUT="$ROOT/$OUT" ;; esac # relative to the checkout (make bench passes target/bench)
[ -f "$JAR" ] || { echo "scale.sh: $JAR is missing (make build)" >&2; exit 1; }
mkdir -p "$OUT"
raw="$OUT/scale.raw"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# shellcheck disable=SC2086 # HZ_OPTS is a list of flags
env $(env | awk -F= '/^SLUICE_/ {print "-u " $1}') "$JAVA" ${BENCH_JAVA_OPTS:--Xmx256m} $HZ_OPTS -cp "$JAR" io.sluice.bench.ScaleBench \
  | tee "$raw"
{
  echo "### Memory and start at scale, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo
  echo "- Load average before / after the run: $load_before / $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- Command: \`bench/scale.sh\` (BENCH_CONSUMERS=${BENCH_CONSUMERS:-1000000}, ${BENCH_JAVA_OPTS:--Xmx256m})"
  echo
  grep -E '^scale' "$raw" || true
  echo
  grep -E '^\|' "$raw" || true
} > "$OUT/scale.md"
echo "written to $OUT/scale.md"
