#!/usr/bin/env bash
# make bench RECORD=1: appends the figures of the last `make bench` (target/bench/*.md, or BENCH_OUT) to
# bench/RESULTS.md, the tracked record of runs, under one heading with the date and the commit. Without
# RECORD=1 nothing tracked changes.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${BENCH_OUT:-$ROOT/target/bench}
case $OUT in /*) ;; *) OUT="$ROOT/$OUT" ;; esac # relative to the checkout (make bench passes target/bench)
RESULTS=${BENCH_RESULTS:-$ROOT/bench/RESULTS.md}
found=()
for part in proxy tracing tracing-toggle propagation propagation-pg-core hitless scale stream h2; do
  [[ -f $OUT/$part.md ]] && found+=("$OUT/$part.md")
done
((${#found[@]})) || { echo "record.sh: no figures in $OUT (run make bench first)" >&2; exit 1; }
{
  echo
  echo "## make bench, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
  for f in "${found[@]}"; do
    echo
    cat "$f"
  done
} >>"$RESULTS"
echo "appended ${#found[@]} part(s) of the last run (${found[*]##*/}) to ${RESULTS#"$ROOT"/}"
