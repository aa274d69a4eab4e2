#!/usr/bin/env bash
# Access stream benchmark (make bench runs it after bench/run.sh):
#  1. throughput with export on versus off: wrk against two nodes that differ only in stream.enabled, rounds
#     alternating on/off so that the machine's drift cancels; Kafka is a broker in a JVM of its own (started
#     here: the jar's io.sluice.stream.EmbeddedKafka), as in production, so its CPU is not the node's;
#  2. latency: requests at a fixed rate (default 2,000/s) through the export-on node, one
#     subscriber on the tenant's stream; the time from each request's completion to its record's arrival on
#     the WebSocket, p50 / p99 / max (driver: src/test/java/io/sluice/bench/StreamLatencyBench.java).
#
# Settings (environment): STREAM_RATE (2000), STREAM_SECONDS (20), STREAM_WARMUP (5), BENCH_DURATION (10),
# BENCH_CONNECTIONS (50), BENCH_ROUNDS (3), BENCH_JAVA_OPTS, SLUICE_JAR. Needs PostgreSQL on 127.0.0.1:5432
# (user postgres; a throw-away database is created and dropped), wrk, nginx, curl, psql.
# Output: target/bench/stream.md (BENCH_OUT changes the directory; untracked: `make bench RECORD=1` appends it to
# bench/RESULTS.md); logs in target/bench/stream-work/.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RATE=${STREAM_RATE:-2000}
SECONDS_RUN=${STREAM_SECONDS:-20}
WARMUP=${STREAM_WARMUP:-5}
DURATION=${BENCH_DURATION:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-50}
ROUNDS=${BENCH_ROUNDS:-3}
JAVA_OPTS=${BENCH_JAVA_OPTS:--Xms512m -Xmx512m -XX:+UseParallelGC}
JAR=${SLUICE_JAR:-target/sluice.jar}
JAVA=${JAVA:-java}
OUT=${BENCH_OUT:-$ROOT/target/bench}
WORK="$OUT/stream-work"
DB="sluice_bench_stream_$$"
BENCH_TAG=stream-bench
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh" # log, die, PIDS and their clean-up, free_port, wait_ready
on_exit() { psql -h 127.0.0.1 -U postgres -d postgres -qAt -c "drop database if exists $DB with (force)" >/dev/null 2>&1 || true; }
[[ -f $JAR ]] || die "$JAR not found; build it first (make bench does)"
for tool in wrk curl psql awk "$JAVA"; do command -v "$tool" >/dev/null || die "$tool is required"; done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[[ -f target/test-classes/io/sluice/bench/StreamLatencyBench.class ]] || mvn -B -q test-compile

rm -rf "$WORK"
mkdir -p "$WORK/nginx"
UP=$(free_port)
N="$WORK/nginx"
printf '%s\n' "daemon off;" "worker_processes 1;" "pid $N/nginx.pid;" "error_log $N/error.log warn;" \
  "events { worker_connections 4096; }" "http {" "  access_log off;" "  keepalive_requests 1000000;" \
  "  client_body_temp_path $N/cb; proxy_temp_path $N/p; fastcgi_temp_path $N/f; uwsgi_temp_path $N/u; scgi_temp_path $N/s;" \
  "  server { listen 127.0.0.1:$UP; location / { default_type text/plain; return 200 \"hello\\n\"; } }" "}" >"$N/nginx.conf"
"$NGINX" -p "$N" -c "$N/nginx.conf" -e "$N/error.log" >"$WORK/upstream.log" 2>&1 &
PIDS+=($!)
wait_ready upstream "http://127.0.0.1:$UP/" "${PIDS[-1]}"

psql -h 127.0.0.1 -U postgres -d postgres -qAt -c "create database $DB" >/dev/null
printf '%s\n' "format_version: 1" "services:" \
  "  - {name: bench-upstream, tenant: bench, targets: [{address: \"127.0.0.1:$UP\"}]}" \
  "routes:" "  - {name: all, service: bench-upstream, paths: [\"/\"]}" >"$WORK/routes.yaml"
unset_sluice=()
for v in $(compgen -e | grep '^SLUICE_' || true); do unset_sluice+=(-u "$v"); done
# Starts a node; $1 name, $2 stream.enabled, $3..$5 proxy, admin and stream ports.
start_node() {
  local name=$1
  printf '%s\n' "proxy: {host: 127.0.0.1, port: $3, instances: 1, drain_timeout_ms: 1000, tls_enabled: false}" \
    "admin: {host: 127.0.0.1, port: $4}" "routes_file: $WORK/routes.yaml" \
    "pg: {url: \"postgresql://postgres@127.0.0.1:5432/$DB\"}" \
    "kafka: {bootstrap: \"127.0.0.1:$KAFKA_PORT\"}" "spool: {dir: \"$WORK/$name-spool\"}" \
    "stream: {enabled: $2, host: 127.0.0.1, port: $5, cursor_secret: bench}" "log: {level: warn, format: text}" \
    >"$WORK/$name.yaml"
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of flags
  env "${unset_sluice[@]}" "$JAVA" $JAVA_OPTS -jar "$JAR" run --config "$WORK/$name.yaml" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  wait_ready "$name" "http://127.0.0.1:$4/health/ready" "${PIDS[-1]}"
}
KAFKA_PORT=$(free_port)
# shellcheck disable=SC2086
"$JAVA" -Xmx384m -cp "$JAR" io.sluice.stream.EmbeddedKafka "$WORK/kafka" "$KAFKA_PORT" >"$WORK/kafka.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 300); do
  grep -q '^READY ' "$WORK/kafka.log" 2>/dev/null && break
  kill -0 "${PIDS[-1]}" 2>/dev/null || die "the broker exited; see $WORK/kafka.log"
  sleep 0.2
done
grep -q '^READY ' "$WORK/kafka.log" || die "the broker is not ready after 60 s"
log "Kafka broker (own JVM) on 127.0.0.1:$KAFKA_PORT"
ON_P=$(free_port); ON_A=$(free_port); ON_S=$(free_port)
OFF_P=$(free_port); OFF_A=$(free_port); OFF_S=$(free_port)
start_node export-on true "$ON_P" "$ON_A" "$ON_S"
start_node export-off false "$OFF_P" "$OFF_A" "$OFF_S"
log "export on: proxy $ON_P, stream $ON_S; export off: proxy $OFF_P"

# The tenant named bench (the list also holds the migrations' default tenant, in no set order).
TENANT=$(curl -s "http://127.0.0.1:$ON_A/tenants?limit=1000" | tr '{' '\n' | grep '"name":"bench"' \
  | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
[[ -n $TENANT ]] || die "no tenant bench"
TOKEN=$(curl -s -X POST "http://127.0.0.1:$ON_A/tenants/$TENANT/stream-tokens" | grep -o '"token":"[^"]*"' | cut -d'"' -f4)
[[ -n $TOKEN ]] || die "no stream token"

# Warm both JVMs, then alternate rounds.
wrk -t1 -c"$CONNECTIONS" -d5s "http://127.0.0.1:$ON_P/" >/dev/null
wrk -t1 -c"$CONNECTIONS" -d5s "http://127.0.0.1:$OFF_P/" >/dev/null
rps() { wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "$1" | awk '/Requests\/sec/ {print $2}'; }
on_all=()
off_all=()
for r in $(seq 1 "$ROUNDS"); do
  on=$(rps "http://127.0.0.1:$ON_P/")
  off=$(rps "http://127.0.0.1:$OFF_P/")
  on_all+=("$on")
  off_all+=("$off")
  log "round $r: export on $on req/s, off $off req/s"
done
mean() { printf '%s\n' "$@" | awk '{s+=$1} END {printf "%.0f", s/NR}'; }
ON_MEAN=$(mean "${on_all[@]}")
OFF_MEAN=$(mean "${off_all[@]}")
RATIO=$(awk -v a="$ON_MEAN" -v b="$OFF_MEAN" 'BEGIN {printf "%.3f", a/b}')

log "latency: $RATE req/s for ${SECONDS_RUN}s (after ${WARMUP}s warm-up) through the export-on node"
LAT=$("$JAVA" -cp "target/test-classes:$JAR" io.sluice.bench.StreamLatencyBench "$ON_P" "$ON_S" "$TOKEN" \
  "$RATE" "$SECONDS_RUN" "$WARMUP" 2>"$WORK/driver.log" | tail -1)
log "$LAT"
METRICS=$(curl -s "http://127.0.0.1:$ON_A/metrics")
COUNTERS=$(awk '/^sluice_stream_(records_(exported|spooled|dropped)|kafka_records|chunks_resent)_total/ {printf "%s=%s ", $1, $2}' <<<"$METRICS")
PER_KAFKA=$(awk '/^sluice_stream_records_exported_total/ {r=$2} /^sluice_stream_kafka_records_total/ {k=$2}
  END {if (k > 0) printf "%.1f", r/k; else print "n/a"}' <<<"$METRICS")

mkdir -p "$OUT"
{
  echo "### Access stream, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo
  echo "Latency from a request's completion to its record on the WebSocket, $RATE req/s for $SECONDS_RUN s:"
  echo
  echo '```'
  echo "$LAT"
  echo '```'
  echo
  echo "| proxy throughput (wrk -t1 -c$CONNECTIONS, $DURATION s x $ROUNDS rounds) | req/s (mean) | rounds |"
  echo "|---|---:|---|"
  echo "| export off | $OFF_MEAN | ${off_all[*]} |"
  echo "| export on | $ON_MEAN | ${on_all[*]} |"
  echo
  echo "Export on / off: **$RATIO** (broker in its own JVM). Access records per Kafka record: **$PER_KAFKA**."
  echo "Counters after the run: $COUNTERS"
} | tee "$OUT/stream.md"
