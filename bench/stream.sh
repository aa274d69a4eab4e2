#!/usr/bin/env bash
# Access stream benchmark (make bench runs it after bench/run.sh):
#  1. throughput with export on versus off: wrk against two nodes that differ only in stream.enabled, rounds
#     alternating on/off so that the machine's drift cancels; Kafka is a broker in a JVM of its own (started
#     here: the jar's io.sluice.stream.EmbeddedKafka), as in production, so its CPU is not the node's;
#  2. latency: requests at a fixed rate (default 2,000/s) through the export-on node, one
#     subscriber on the tenant's stream; the time from each request's completion to its record's arrival on
#     the WebSocket, p50 / p99 / max (driver: src/test/java/io/sluice/bench/StreamLatencyBench.java).
#
# Each throughput round also reads the CPU time (user + system, /proc/PID/stat) of the node under load and of
# the broker's JVM, per request: less noisy than req/s on a small shared machine, and it splits the export's
# cost into the node's part and the broker's (which an external Kafka would carry elsewhere).
#
# Settings (environment): STREAM_RATE (2000), STREAM_SECONDS (20; 0 skips the latency phase), STREAM_WARMUP (15: the
# subscriber's path on the node is compiled only once it has a subscriber; the driver.log line per second shows it),
# BENCH_DURATION (10), BENCH_CONNECTIONS (50), BENCH_ROUNDS (3), BENCH_WARMUP (15 s of wrk
# against the export-off node), BENCH_WARMUP_EXPORT (180 s against the export-on node, which warms the broker too), BENCH_JAVA_OPTS, SLUICE_JAR, BENCH_JFR_DIR (a
# JFR profile of each node and of the broker there, settings=profile), STREAM_COMPRESSION (kafka.compression of the nodes; unset: the
# default). Needs PostgreSQL on 127.0.0.1:5432
# (user postgres; a throw-away database is created and dropped), wrk, nginx, curl, psql.
# Output: target/bench/stream.md (BENCH_OUT changes the directory; untracked: `make bench RECORD=1` appends it to
# bench/RESULTS.md); logs in target/bench/stream-work/.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RATE=${STREAM_RATE:-2000}
SECONDS_RUN=${STREAM_SECONDS:-20}
WARMUP=${STREAM_WARMUP:-15}
DURATION=${BENCH_DURATION:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-50}
ROUNDS=${BENCH_ROUNDS:-3}
WARMUP_LOAD=${BENCH_WARMUP:-15}
WARMUP_EXPORT=${BENCH_WARMUP_EXPORT:-180}
JAVA_OPTS=${BENCH_JAVA_OPTS:--Xms512m -Xmx512m -XX:+UseParallelGC}
JAR=${SLUICE_JAR:-target/sluice.jar}
JAVA=${JAVA:-java}
OUT=${BENCH_OUT:-$ROOT/target/bench}
case $OUT in /*) ;; *) OUT="$ROOT/$OUT" ;; esac # relative to the checkout (make bench passes target/bench)
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
[[ -z ${BENCH_JFR_DIR:-} ]] || mkdir -p "$BENCH_JFR_DIR"
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
declare -A NODE_PID
# Starts a node; $1 name, $2 stream.enabled, $3..$5 proxy, admin and stream ports.
start_node() {
  local name=$1
  printf '%s\n' "proxy: {host: 127.0.0.1, port: $3, instances: 1, drain_timeout_ms: 1000, tls_enabled: false}" \
    "admin: {host: 127.0.0.1, port: $4}" "routes_file: $WORK/routes.yaml" \
    "pg: {url: \"postgresql://postgres@127.0.0.1:5432/$DB\"}" \
    "kafka: {bootstrap: \"127.0.0.1:$KAFKA_PORT\"${STREAM_COMPRESSION:+, compression: $STREAM_COMPRESSION}}" \
    "spool: {dir: \"$WORK/$name-spool\"}" \
    "stream: {enabled: $2, host: 127.0.0.1, port: $5, cursor_secret: bench}" "log: {level: warn, format: text}" \
    >"$WORK/$name.yaml"
  local jfr=()
  [[ -z ${BENCH_JFR_DIR:-} ]] || jfr=("-XX:StartFlightRecording=filename=$BENCH_JFR_DIR/$name.jfr,settings=profile")
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of flags
  env "${unset_sluice[@]}" "$JAVA" $JAVA_OPTS "${jfr[@]}" -jar "$JAR" run --config "$WORK/$name.yaml" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  NODE_PID[$name]=$!
  wait_ready "$name" "http://127.0.0.1:$4/health/ready" "${PIDS[-1]}"
}
KAFKA_PORT=$(free_port)
# shellcheck disable=SC2086
kafka_jfr=()
[[ -z ${BENCH_JFR_DIR:-} ]] || kafka_jfr=("-XX:StartFlightRecording=filename=$BENCH_JFR_DIR/kafka.jfr,settings=profile")
"$JAVA" -Xmx384m "${kafka_jfr[@]}" -cp "$JAR" io.sluice.stream.EmbeddedKafka "$WORK/kafka" "$KAFKA_PORT" >"$WORK/kafka.log" 2>&1 &
PIDS+=($!)
KAFKA_PID=$!
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

# Warm both JVMs (long enough that the JIT compilers are mostly done: they are a start-up cost, not a request's),
# then alternate rounds. The export path and the broker need much longer than the proxy: their code runs once per
# batch or per produce request (a hundred or so a second), so it reaches the JIT's thresholds minutes later. Measured
# (2026-12-05): the broker took 11.8 us of CPU per request after 45 s of load and 3.6 to 5.6 after 3 to 4 minutes.
wrk -t1 -c"$CONNECTIONS" -d"${WARMUP_EXPORT}s" "http://127.0.0.1:$ON_P/" >/dev/null
wrk -t1 -c"$CONNECTIONS" -d"${WARMUP_LOAD}s" "http://127.0.0.1:$OFF_P/" >/dev/null
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# One round against one node: "req/s node_user_us node_sys_us broker_user_us broker_sys_us" (CPU per request).
round() { # $1 name, $2 port
  local f="$WORK/wrk-$1.txt" n0 n1 k0 k1 total rps
  n0=$(cpu_ticks "${NODE_PID[$1]}"); k0=$(cpu_ticks "$KAFKA_PID")
  wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "http://127.0.0.1:$2/" >"$f"
  n1=$(cpu_ticks "${NODE_PID[$1]}"); k1=$(cpu_ticks "$KAFKA_PID")
  rps=$(awk '/Requests\/sec/ {print $2}' "$f")
  total=$(awk '/requests in/ {print $1}' "$f")
  [[ -n $rps && -n $total ]] || die "cannot parse wrk output $f"
  echo "$total" >>"$WORK/requests-$1"
  echo "$rps $(cpu_us_per_request "$n0" "$n1" "$total") $(cpu_us_per_request "$k0" "$k1" "$total")"
}
on_all=(); off_all=(); : >"$WORK/rounds.tsv"
# Each JVM's threads, before the first round and after the last (the split of the CPU per request by thread).
for n in export-on export-off; do thread_ticks "${NODE_PID[$n]}" >"$WORK/threads0-$n"; : >"$WORK/requests-$n"; done
thread_ticks "$KAFKA_PID" >"$WORK/threads0-kafka"
for r in $(seq 1 "$ROUNDS"); do
  read -r on on_u on_s on_ku on_ks < <(round export-on "$ON_P")
  read -r off off_u off_s off_ku off_ks < <(round export-off "$OFF_P")
  on_all+=("$on")
  off_all+=("$off")
  printf '%s\t' "$r" "$on" "$on_u" "$on_s" "$on_ku" "$on_ks" "$off" "$off_u" "$off_s" "$off_ku" >>"$WORK/rounds.tsv"
  printf '%s\n' "$off_ks" >>"$WORK/rounds.tsv"
  log "round $r: export on $on req/s (CPU us/req node $on_u + $on_s, broker $on_ku + $on_ks)," \
    "off $off req/s (node $off_u + $off_s, broker $off_ku + $off_ks)"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
for n in export-on export-off kafka; do
  pid=${NODE_PID[$n]:-$KAFKA_PID}
  thread_ticks "$pid" >"$WORK/threads1-$n"
  reqs=$(awk '{s += $1} END {print s}' "$WORK/requests-${n/kafka/export-on}")
  thread_us_per_request "$WORK/threads0-$n" "$WORK/threads1-$n" "$reqs" >"$WORK/threads-$n.tsv"
done
mean() { printf '%s\n' "$@" | awk '{s+=$1} END {printf "%.0f", s/NR}'; }
col_mean() { awk -F'\t' -v c="$1" '{s += $c} END {printf "%.2f", s / NR}' "$WORK/rounds.tsv"; }
ON_MEAN=$(mean "${on_all[@]}")
OFF_MEAN=$(mean "${off_all[@]}")
RATIO=$(awk -v a="$ON_MEAN" -v b="$OFF_MEAN" 'BEGIN {printf "%.3f", a/b}')
RATIOS=$(awk -F'\t' '{printf "%s%.2f", (NR > 1 ? ", " : ""), $2 / $7}' "$WORK/rounds.tsv")
# The mean of the rounds' on/off ratios with its 95% interval (Student's t, rounds - 1 degrees of freedom): whether
# a run can tell the export's cost from the 5% goal at all on this machine.
INTERVAL=$(awk -F'\t' '{print $2 / $7}' "$WORK/rounds.tsv" | mean_interval \
  | awk '{printf "%.3f (95%% interval %.3f to %.3f, %d rounds)", $1, $2, $3, $4}')
ON_CPU=$(awk -v u="$(col_mean 3)" -v s="$(col_mean 4)" 'BEGIN {printf "%.2f", u + s}')
OFF_CPU=$(awk -v u="$(col_mean 8)" -v s="$(col_mean 9)" 'BEGIN {printf "%.2f", u + s}')
BROKER_CPU=$(awk -v u="$(col_mean 5)" -v s="$(col_mean 6)" 'BEGIN {printf "%.2f", u + s}')
BROKER_IDLE=$(awk -v u="$(col_mean 10)" -v s="$(col_mean 11)" 'BEGIN {printf "%.2f", u + s}')
CPU_RATIO=$(awk -v a="$ON_CPU" -v b="$OFF_CPU" 'BEGIN {printf "%.3f", a / b}')
# The same from the threads, without the JIT compilers' (a start-up cost that a short warm-up leaves in the rounds).
nojit() { awk -F'\t' '$1 !~ /CompilerThre/ {s += $2} END {printf "%.2f", s}' "$WORK/threads-$1.tsv"; }
ON_STEADY=$(nojit export-on); OFF_STEADY=$(nojit export-off); BROKER_STEADY=$(nojit kafka)
log "on/off $RATIO (rounds $RATIOS); CPU us/req node on $ON_CPU, off $OFF_CPU ($CPU_RATIO), broker $BROKER_CPU"

if [[ $SECONDS_RUN -gt 0 ]]; then
  log "latency: $RATE req/s for ${SECONDS_RUN}s (after ${WARMUP}s warm-up) through the export-on node"
  LAT=$("$JAVA" -cp "target/test-classes:$JAR" io.sluice.bench.StreamLatencyBench "$ON_P" "$ON_S" "$TOKEN" \
    "$RATE" "$SECONDS_RUN" "$WARMUP" 2>"$WORK/driver.log" | tail -1)
  log "$LAT"
else
  LAT="latency not measured (STREAM_SECONDS=0)"
fi
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
  echo "Jar: $JAR ($("$JAVA" -jar "$JAR" --version 2>/dev/null | head -1 || true)). Load average before / after the rounds: $load_before / $load_after"
  echo
  echo "| proxy throughput (wrk -t1 -c$CONNECTIONS, $DURATION s x $ROUNDS rounds after ${WARMUP_EXPORT} s (on) and ${WARMUP_LOAD} s (off) of warm-up) | req/s (mean) | rounds |"
  echo "|---|---:|---|"
  echo "| export off | $OFF_MEAN | ${off_all[*]} |"
  echo "| export on | $ON_MEAN | ${on_all[*]} |"
  echo
  echo "Export on / off: **$RATIO** (rounds $RATIOS; broker in its own JVM). Access records per Kafka record: **$PER_KAFKA**."
  echo "Mean of the rounds' ratios: $INTERVAL; the goal is 0.95 or more."
  echo
  echo "CPU time per request (us, user + system from /proc/PID/stat, mean of the rounds): node export on **$ON_CPU**,"
  echo "export off **$OFF_CPU** (on / off **$CPU_RATIO**); the broker's JVM **$BROKER_CPU** during the export-on rounds"
  echo "($BROKER_IDLE during the export-off ones, its idle cost). Without the JIT compiler threads (over all rounds, from"
  echo "the threads below): node export on **$ON_STEADY**, export off **$OFF_STEADY** (export's share on the node"
  echo "**$(awk -v a="$ON_STEADY" -v b="$OFF_STEADY" 'BEGIN {printf "%.2f", a - b}')** us/request), broker **$BROKER_STEADY**."
  echo
  echo "| round | on req/s | on node CPU us/req (user + sys) | broker CPU us/req | off req/s | off node CPU us/req |"
  echo "|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' '{printf "| %s | %s | %.2f (%s + %s) | %.2f | %s | %.2f (%s + %s) |\n", $1, $2, $3 + $4, $3, $4, $5 + $6, $7, $8 + $9, $8, $9}' "$WORK/rounds.tsv"
  echo
  echo "CPU us per request by thread (the JVM's threads by name, over all rounds; the broker's per export-on request):"
  echo
  echo "| thread | export on | export off | broker |"
  echo "|---|---:|---:|---:|"
  cat "$WORK"/threads-export-on.tsv "$WORK"/threads-export-off.tsv "$WORK"/threads-kafka.tsv | cut -f1 | sort -u \
    | while read -r t; do
      v() { awk -F'\t' -v t="$t" '$1 == t {print $2}' "$WORK/threads-$1.tsv"; }
      printf '%s\t%s\t%s\t%s\n' "$t" "$(v export-on)" "$(v export-off)" "$(v kafka)"
    done | awk -F'\t' '{m = $2 + $3 + $4; if (m >= 0.1) printf "%.2f\t| %s | %s | %s | %s |\n", m, $1, $2, $3, $4}' \
    | sort -gr | cut -f2
  echo
  echo "Counters after the run: $COUNTERS"
} | tee "$OUT/stream.md"
