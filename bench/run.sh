#!/usr/bin/env bash
# Sluice proxy benchmark: wrk against (a) the upstream directly, (b) Sluice, (c) nginx as a reverse proxy,
# all three in front of the same upstream, on loopback, on this one machine.
#
#   make bench                       # builds target/sluice.jar if needed, then runs this script
#   BENCH_DURATION=10 BENCH_CONNECTIONS=50 BENCH_ROUNDS=3 bench/run.sh
#
# Settings (environment):
#   BENCH_DURATION     seconds per measured wrk run                  (default 10)
#   BENCH_WARMUP       seconds of warm-up per target before round 1   (default 10)
#   BENCH_CONNECTIONS  wrk connections, the same for every target     (default 50)
#   BENCH_THREADS      wrk threads, the same for every target         (default 1)
#   BENCH_ROUNDS       rounds of direct, sluice, nginx                (default 3)
#   BENCH_JAVA_OPTS    JVM flags for Sluice (default -Xms512m -Xmx512m -XX:+UseParallelGC:
#                      a fixed heap so it is not resized while we measure, and the throughput collector,
#                      whose short stop-the-world young collections suit a proxy's short-lived garbage)
#   SLUICE_JAR         jar to run (default target/sluice.jar)
#   BENCH_DIRECT       0: no "direct" target (the upstream alone); default 1
#   SLUICE_JAR_B       if set: a second plain Sluice from this jar ("sluice-b"), measured in the same rounds, to
#                      compare two builds on a machine whose speed drifts (A/B of one change); JAVA_B and
#                      BENCH_JAVA_OPTS_B run it on another JDK or with other flags (default: JAVA, BENCH_JAVA_OPTS)
#   BENCH_JFR_DIR      if set: a JFR profile (settings=profile: execution and allocation samples) of the plain
#                      Sluice node there, sluice.jfr (and of the policies node, policies.jfr); off by default (it costs a few % of throughput);
#                      BENCH_JFR_SETTINGS: another .jfc (e.g. a 1 ms sampling period for more samples)
#   BENCH_POLICIES     1 (default): also a second Sluice with key-auth and rate-limiting (redis, a limit that
#                      never trips) on the route, configured in a throwaway PostgreSQL database, measured in
#                      the same rounds ("policies"), and the same node's route without plugins ("policies-off": the
#                      policies' own cost with everything else equal); 0 skips both. Needs PostgreSQL (BENCH_PG_URL, default
#                      postgresql://postgres@127.0.0.1:5432) and Redis (BENCH_REDIS_URL, default
#                      redis://127.0.0.1:6379), the machine's own servers.
#   BENCH_SHAPES       1 (default): also the second load shape beside -c$BENCH_CONNECTIONS, for Sluice and nginx
#                      alike: BENCH_WIDE_CONNECTIONS connections (default 500: "sluice-c500", "nginx-c500") and a
#                      4 KiB answer ("sluice-4k", "nginx-4k"); 0 skips them.
#   BENCH_TLS          1 (default): also HTTPS (HTTP/1.1 keep-alive): a third Sluice whose certificate is
#                      uploaded through its admin API (throwaway PostgreSQL database), beside nginx with ssl and
#                      the same certificate (openssl, EC P-256) and ciphers ("sluice-tls", "nginx-tls");
#                      0 skips it. Needs PostgreSQL like BENCH_POLICIES, openssl and jq.
#
# Output: the table on stdout and as markdown in target/bench/proxy.md (BENCH_OUT changes the directory; it is
# untracked: `make bench RECORD=1` appends the run to bench/RESULTS.md); configs, logs and raw wrk output of the
# last run in target/bench/work/. Everything started here is stopped on exit; only 127.0.0.1 is used.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-50}
THREADS=${BENCH_THREADS:-1}
ROUNDS=${BENCH_ROUNDS:-3}
JAVA_OPTS=${BENCH_JAVA_OPTS:--Xms512m -Xmx512m -XX:+UseParallelGC}
JAR=${SLUICE_JAR:-target/sluice.jar}
JAVA=${JAVA:-java}

OUT=${BENCH_OUT:-$ROOT/target/bench}
case $OUT in /*) ;; *) OUT="$ROOT/$OUT" ;; esac # relative to the checkout (make bench passes target/bench)
WORK="$OUT/work"
TARGETS=(direct sluice nginx)
[[ ${BENCH_DIRECT:-1} == 0 ]] && TARGETS=(sluice nginx)
POLICIES=${BENCH_POLICIES:-1}
PG_BASE=${BENCH_PG_URL:-postgresql://postgres@127.0.0.1:5432}
REDIS_URL=${BENCH_REDIS_URL:-redis://127.0.0.1:6379}
BENCH_DB=""
TLS=${BENCH_TLS:-1}
SHAPES=${BENCH_SHAPES:-1}
WIDE=${BENCH_WIDE_CONNECTIONS:-500}
TLS_DB=""

BENCH_TAG=bench
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh" # log, die, PIDS and their clean-up, free_port, wait_ready
on_exit() { # after the processes are stopped: the throwaway databases
  local db
  for db in $BENCH_DB $TLS_DB; do
    psql "$PG_BASE/postgres" -qAt -c "drop database if exists $db with (force)" >/dev/null 2>&1 || true
  done
}

for v in DURATION WARMUP CONNECTIONS THREADS ROUNDS WIDE; do
  [[ ${!v} =~ ^[0-9]+$ && ${!v} -gt 0 ]] || die "BENCH_$v must be a positive integer (got '${!v}')"
done
[[ -f $JAR ]] || die "$JAR not found; build it first (make bench does)"

# --- Phase 1: tools. wrk and nginx from apt if missing (no service is started: we run our own nginx). ---
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
if ((${#missing[@]})); then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "need ${missing[*]} and cannot install them (not root, no sudo)"
    SUDO="sudo"
  fi
  log "installing ${missing[*]} with apt-get"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
for tool in wrk curl awk sed "$JAVA"; do command -v "$tool" >/dev/null || die "$tool is required"; done

# --- Phase 2: the working directory (what we start is stopped on exit: bench/lib.sh). ---
rm -rf "$WORK"
mkdir -p "$WORK/nginx-upstream" "$WORK/nginx-proxy" "$WORK/wrk"

UPSTREAM_PORT=$(free_port)
SLUICE_PORT=$(free_port)
ADMIN_PORT=$(free_port)
POLICY_PORT=$(free_port)
POLICY_ADMIN_PORT=$(free_port)
NGINX_PORT=$(free_port)
TLS_PORT=$(free_port)
TLS_PLAIN_PORT=$(free_port)
TLS_ADMIN_PORT=$(free_port)
NGINX_TLS_PORT=$(free_port)

# Settings both nginx instances share: own prefix, pid and temp files, so the system's nginx is never touched.
nginx_common() { # $1 = directory
  cat <<EOF
daemon off;
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; }
EOF
}
nginx_http_common() { # $1 = directory
  cat <<EOF
  access_log off;
  keepalive_timeout 75s;
  keepalive_requests 1000000;
  client_body_temp_path $1/client_body;
  proxy_temp_path $1/proxy;
  fastcgi_temp_path $1/fastcgi;
  uwsgi_temp_path $1/uwsgi;
  scgi_temp_path $1/scgi;
EOF
}

# --- Phase 3: the upstream every target ends at: nginx, one worker, keep-alive, a fixed 6-byte body (and
# 4 KiB at /4k for the second load shape). ---
U="$WORK/nginx-upstream"
{ head -c 4095 /dev/zero | tr '\0' 'x'; echo; } >"$U/4k.txt"
{
  nginx_common "$U"
  echo "http {"
  nginx_http_common "$U"
  cat <<EOF
  server {
    listen 127.0.0.1:$UPSTREAM_PORT;
    location / { default_type text/plain; return 200 "hello\n"; }
    location = /4k { default_type text/plain; alias $U/4k.txt; }
  }
}
EOF
} >"$U/nginx.conf"
"$NGINX" -p "$U" -c "$U/nginx.conf" -e "$U/error.log" >"$WORK/upstream.log" 2>&1 &
PIDS+=($!)
UPSTREAM_PID=$!
wait_ready upstream "http://127.0.0.1:$UPSTREAM_PORT/" "${PIDS[-1]}"
log "upstream (nginx) on 127.0.0.1:$UPSTREAM_PORT"

# --- Phase 4: Sluice, one proxy event loop, route / -> the upstream, admin on its own free port. ---
cat >"$WORK/routes.yaml" <<EOF
format_version: 1
services:
  - name: bench-upstream
    tenant: bench
    targets:
      - address: 127.0.0.1:$UPSTREAM_PORT
routes:
  - name: all
    service: bench-upstream
    paths: ["/"]
EOF
cat >"$WORK/sluice.yaml" <<EOF
proxy:
  host: 127.0.0.1
  port: $SLUICE_PORT
  instances: 1
  drain_timeout_ms: 1000
  tls_enabled: false   # the HTTPS row has a Sluice of its own (BENCH_TLS)
admin:
  host: 127.0.0.1
  port: $ADMIN_PORT
routes_file: $WORK/routes.yaml
stream:
  enabled: false   # the proxy alone here; bench/stream.sh measures the access stream
log:
  level: warn
  format: text
EOF
# SLUICE_* variables of the caller's environment would override the generated settings: drop them.
unset_sluice=()
for v in $(compgen -e | grep '^SLUICE_' || true); do unset_sluice+=(-u "$v"); done
JFR_OPTS=()
if [[ -n ${BENCH_JFR_DIR:-} ]]; then
  mkdir -p "$BENCH_JFR_DIR"
  JFR_OPTS=("-XX:StartFlightRecording=filename=$BENCH_JFR_DIR/sluice.jfr,settings=${BENCH_JFR_SETTINGS:-profile}")
fi
# shellcheck disable=SC2086 # JAVA_OPTS is a list of flags
env "${unset_sluice[@]}" "$JAVA" $JAVA_OPTS "${JFR_OPTS[@]}" -jar "$JAR" run --config "$WORK/sluice.yaml" >"$WORK/sluice.log" 2>&1 &
PIDS+=($!)
SLUICE_PID=$!
wait_ready sluice "http://127.0.0.1:$ADMIN_PORT/health/ready" "$SLUICE_PID"
if [[ -n ${SLUICE_JAR_B:-} ]]; then
  [[ -f $SLUICE_JAR_B ]] || die "$SLUICE_JAR_B not found"
  B_PORT=$(free_port)
  B_ADMIN_PORT=$(free_port)
  sed -e "s/port: $SLUICE_PORT/port: $B_PORT/" -e "s/port: $ADMIN_PORT/port: $B_ADMIN_PORT/" "$WORK/sluice.yaml" \
    >"$WORK/sluice-b.yaml"
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of flags
  env "${unset_sluice[@]}" "${JAVA_B:-$JAVA}" ${BENCH_JAVA_OPTS_B:-$JAVA_OPTS} -jar "$SLUICE_JAR_B" run \
    --config "$WORK/sluice-b.yaml" \
    >"$WORK/sluice-b.log" 2>&1 &
  PIDS+=($!)
  B_PID=$!
  wait_ready sluice-b "http://127.0.0.1:$B_ADMIN_PORT/health/ready" "$B_PID"
  TARGETS+=(sluice-b)
  log "sluice-b ($SLUICE_JAR_B, ${JAVA_B:-$JAVA} ${BENCH_JAVA_OPTS_B:-$JAVA_OPTS}) on 127.0.0.1:$B_PORT"
fi
body=$(curl -s --max-time 5 "http://127.0.0.1:$SLUICE_PORT/") || true
[[ $body == hello ]] || die "Sluice does not proxy to the upstream (got '$body'); see $WORK/sluice.log"
log "sluice on 127.0.0.1:$SLUICE_PORT (admin $ADMIN_PORT), JVM flags: $JAVA_OPTS"

# --- Phase 5: nginx as the peer reverse proxy: one worker, pooled keep-alive connections upstream. ---
P="$WORK/nginx-proxy"
{
  nginx_common "$P"
  echo "http {"
  nginx_http_common "$P"
  cat <<EOF
  upstream backend {
    server 127.0.0.1:$UPSTREAM_PORT;
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
} >"$P/nginx.conf"
"$NGINX" -p "$P" -c "$P/nginx.conf" -e "$P/error.log" >"$WORK/nginx.log" 2>&1 &
PIDS+=($!)
NGINX_PID=$!
wait_ready nginx "http://127.0.0.1:$NGINX_PORT/" "${PIDS[-1]}"
log "nginx proxy on 127.0.0.1:$NGINX_PORT"

# --- Phase 5b: Sluice with policies: the same route with key-auth and rate-limiting (redis) on it. ---
if [[ $POLICIES == 1 ]]; then
  command -v psql >/dev/null || die "BENCH_POLICIES=1 needs psql and PostgreSQL (or set BENCH_POLICIES=0)"
  BENCH_DB="sluice_bench_$RANDOM$RANDOM"
  psql "$PG_BASE/postgres" -qAt -c "create database $BENCH_DB" >/dev/null || die "cannot create database $BENCH_DB"
  sed -e "s/port: $SLUICE_PORT/port: $POLICY_PORT/" -e "s/port: $ADMIN_PORT/port: $POLICY_ADMIN_PORT/" \
    "$WORK/sluice.yaml" >"$WORK/sluice-policies.yaml"
  cat >>"$WORK/sluice-policies.yaml" <<EOF
pg:
  url: $PG_BASE/$BENCH_DB
redis:
  url: $REDIS_URL
keys:
  hmac_secret: bench-hmac-secret
EOF
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of flags
  POLICY_JFR=()
  [[ -n ${BENCH_JFR_DIR:-} ]] && POLICY_JFR=("-XX:StartFlightRecording=filename=$BENCH_JFR_DIR/policies.jfr,settings=${BENCH_JFR_SETTINGS:-profile}")
  env "${unset_sluice[@]}" "$JAVA" $JAVA_OPTS "${POLICY_JFR[@]}" -jar "$JAR" run --config "$WORK/sluice-policies.yaml" \
    >"$WORK/sluice-policies.log" 2>&1 &
  PIDS+=($!)
  POLICY_PID=$!
  wait_ready sluice-policies "http://127.0.0.1:$POLICY_ADMIN_PORT/health/ready" "$POLICY_PID"
  A="http://127.0.0.1:$POLICY_ADMIN_PORT"
  admin_post() { curl -sf --max-time 5 -H 'Content-Type: application/json' -X POST "$A$1" -d "$2"; }
  consumer=$(admin_post /consumers '{"tenant": "bench", "username": "bench"}' | sed 's/.*"id":"\([^"]*\)".*/\1/')
  API_KEY=$(admin_post "/consumers/$consumer/keys" '{}' | sed 's/.*"key":"\([^"]*\)".*/\1/')
  [[ $API_KEY == sk_* ]] || die "could not create an API key; see $WORK/sluice-policies.log"
  admin_post /plugins '{"name": "key-auth", "scope": "route", "route": "all"}' >/dev/null \
    || die "could not enable key-auth"
  admin_post /plugins '{"name": "rate-limiting", "scope": "route", "route": "all", "config": {"second": 1000000000, "limit_by": "consumer", "policy": "redis", "fault_tolerant": false}}' >/dev/null \
    || die "could not enable rate-limiting"
  for _ in $(seq 1 100); do # the node applies the changes within milliseconds
    hdrs=$(curl -s -D - -o /dev/null --max-time 2 -H "apikey: $API_KEY" "http://127.0.0.1:$POLICY_PORT/" || true)
    grep -qi '^ratelimit-remaining' <<<"$hdrs" && break
    sleep 0.1
  done
  grep -qi '^ratelimit-remaining' <<<"$hdrs" || die "policies not applied on the bench node; see $WORK/sluice-policies.log"
  [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$POLICY_PORT/") == 401 ]] \
    || die "key-auth does not refuse a request without a key"
  # The same node's route without plugins ("policies-off"): the policies' own cost, with everything else equal
  # (the node reads its configuration from PostgreSQL and has Redis, which the plain "sluice" node does not).
  admin_post /routes '{"name": "open", "service": "bench-upstream", "paths": ["/open"]}' >/dev/null \
    || die "could not add the route without plugins"
  for _ in $(seq 1 100); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$POLICY_PORT/open") == 200 ]] && break
    sleep 0.1
  done
  [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$POLICY_PORT/open") == 200 ]] \
    || die "the route without plugins does not answer; see $WORK/sluice-policies.log"
  TARGETS+=(policies policies-off)
  log "sluice with key-auth + rate-limiting (redis) on 127.0.0.1:$POLICY_PORT (database $BENCH_DB), and /open without"
fi


# --- Phase 5c: HTTPS (HTTP/1.1 keep-alive): Sluice with its certificate uploaded through the admin API, and
# nginx with ssl, the same certificate and the same ciphers, both in front of the same upstream. ---
if [[ $TLS == 1 ]]; then
  for tool in psql openssl jq; do
    command -v "$tool" >/dev/null || die "BENCH_TLS=1 needs $tool (or set BENCH_TLS=0)"
  done
  make_certificate
  TLS_DB="sluice_bench_tls_$RANDOM$RANDOM"
  psql "$PG_BASE/postgres" -qAt -c "create database $TLS_DB" >/dev/null || die "cannot create database $TLS_DB"
  sed -e "s/port: $SLUICE_PORT/port: $TLS_PLAIN_PORT/" -e "s/port: $ADMIN_PORT/port: $TLS_ADMIN_PORT/" \
    -e "s/tls_enabled: false.*/tls_port: $TLS_PORT/" "$WORK/sluice.yaml" >"$WORK/sluice-tls.yaml"
  printf 'pg:\n  url: %s\nkeys:\n  encryption_secret: bench-encryption-secret\n' "$PG_BASE/$TLS_DB" \
    >>"$WORK/sluice-tls.yaml"
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of flags
  env "${unset_sluice[@]}" "$JAVA" $JAVA_OPTS -jar "$JAR" run --config "$WORK/sluice-tls.yaml" \
    >"$WORK/sluice-tls.log" 2>&1 &
  PIDS+=($!)
  TLS_PID=$!
  wait_ready sluice-tls "http://127.0.0.1:$TLS_ADMIN_PORT/health/ready" "$TLS_PID"
  upload_certificate "http://127.0.0.1:$TLS_ADMIN_PORT" "$WORK/sluice-tls.log"
  body=$(curl -s --max-time 5 --cacert "$WORK/tls.pem" "https://localhost:$TLS_PORT/") || true
  [[ $body == hello ]] || die "Sluice does not answer over TLS (got '$body'); see $WORK/sluice-tls.log"
  T="$WORK/nginx-tls"
  mkdir -p "$T"
  {
    nginx_common "$T"
    echo "http {"
    nginx_http_common "$T"
    printf '%s\n' "  upstream backend {" "    server 127.0.0.1:$UPSTREAM_PORT;" "    keepalive 64;" \
      "    keepalive_requests 1000000;" "  }" "  server {" "    listen 127.0.0.1:$NGINX_TLS_PORT ssl;" \
      "    ssl_certificate $WORK/tls.pem;" "    ssl_certificate_key $WORK/tls.key;" \
      "    ssl_protocols TLSv1.2 TLSv1.3;" "    ssl_ciphers $TLS_CIPHERS_OPENSSL;" "    location / {" \
      "      proxy_pass http://backend;" "      proxy_http_version 1.1;" "      proxy_set_header Connection \"\";" \
      "    }" "  }" "}"
  } >"$T/nginx.conf"
  "$NGINX" -p "$T" -c "$T/nginx.conf" -e "$T/error.log" >"$WORK/nginx-tls.log" 2>&1 &
  PIDS+=($!)
  NGINX_TLS_PID=$!
  for _ in $(seq 1 50); do
    [[ $(curl -s --max-time 1 --cacert "$WORK/tls.pem" "https://localhost:$NGINX_TLS_PORT/" || true) == hello ]] && break
    sleep 0.2
  done
  [[ $(curl -s --max-time 2 --cacert "$WORK/tls.pem" "https://localhost:$NGINX_TLS_PORT/" || true) == hello ]] \
    || die "nginx does not answer over TLS; see $T/error.log"
  TARGETS+=(sluice-tls nginx-tls)
  log "HTTPS: sluice on localhost:$TLS_PORT, nginx on localhost:$NGINX_TLS_PORT (same certificate and ciphers)"
fi

if [[ $SHAPES == 1 ]]; then
  [[ $(curl -s --max-time 5 "http://127.0.0.1:$SLUICE_PORT/4k" | wc -c) == 4096 ]] \
    || die "Sluice does not pass the 4 KiB answer whole; see $WORK/sluice.log"
  TARGETS+=(sluice-c500 nginx-c500 sluice-4k nginx-4k)
  log "second load shape: $WIDE connections, and a 4 KiB answer, for sluice and nginx"
fi

declare -A URL=(
  [direct]="http://127.0.0.1:$UPSTREAM_PORT/"
  [sluice]="http://127.0.0.1:$SLUICE_PORT/"
  [nginx]="http://127.0.0.1:$NGINX_PORT/"
  [policies]="http://127.0.0.1:$POLICY_PORT/"
  [policies-off]="http://127.0.0.1:$POLICY_PORT/open"
  [sluice-tls]="https://localhost:$TLS_PORT/"
  [nginx-tls]="https://localhost:$NGINX_TLS_PORT/"
  [sluice-c500]="http://127.0.0.1:$SLUICE_PORT/"
  [nginx-c500]="http://127.0.0.1:$NGINX_PORT/"
  [sluice-4k]="http://127.0.0.1:$SLUICE_PORT/4k"
  [nginx-4k]="http://127.0.0.1:$NGINX_PORT/4k"
  [sluice-b]="http://127.0.0.1:${B_PORT:-0}/"
)
# The process whose CPU time a target's requests cost (user and system, from /proc): Sluice's JVM, or the
# one nginx worker (the master only waits); for "direct", the upstream's worker.
worker_of() { pgrep -P "$1" | head -1; }
declare -A CPU_PID=(
  [direct]=$(worker_of "$UPSTREAM_PID") [sluice]=$SLUICE_PID [nginx]=$(worker_of "$NGINX_PID")
  [sluice-c500]=$SLUICE_PID [nginx-c500]=$(worker_of "$NGINX_PID")
  [sluice-4k]=$SLUICE_PID [nginx-4k]=$(worker_of "$NGINX_PID")
)
[[ $POLICIES == 1 ]] && CPU_PID[policies]=$POLICY_PID && CPU_PID[policies-off]=$POLICY_PID
[[ -n ${B_PID:-} ]] && CPU_PID[sluice-b]=$B_PID
[[ $TLS == 1 ]] && CPU_PID[sluice-tls]=$TLS_PID && CPU_PID[nginx-tls]=$(worker_of "$NGINX_TLS_PID")
WRK_HEADER=()
[[ $POLICIES == 1 ]] && WRK_HEADER=(-H "apikey: $API_KEY")

# One wrk run; the raw output goes to $2. Bounded by wrk's own -d and by timeout.
run_wrk() { # $1 = target, $2 = output file, $3 = seconds
  local extra=() conns=$CONNECTIONS
  [[ $1 == policies ]] && extra=("${WRK_HEADER[@]}")
  [[ $1 == *-c500 ]] && conns=$WIDE
  timeout $(($3 + 30)) wrk -t"$THREADS" -c"$conns" -d"$3s" --timeout 5s --latency "${extra[@]}" "${URL[$1]}" >"$2" 2>&1 \
    || die "wrk against $1 failed; see $2"
}

# --- Phase 6: warm-up (JIT for Sluice, connection pools for everyone); not measured. ---
for t in "${TARGETS[@]}"; do
  log "warm-up $t (${WARMUP}s)"
  run_wrk "$t" "$WORK/wrk/warmup-$t.txt" "$WARMUP"
done

# --- Phase 7: measured rounds, alternating targets so drift of the machine hits all of them alike. ---
# Each line of results.tsv: target round req/s p50_ms p99_ms non2xx socket_errors cpu_user_us cpu_sys_us
# (the last two: CPU time of the target's process per request of the run, from /proc/PID/stat)
to_ms() { # wrk prints 812.00us, 1.23ms, 2.00s, 1.50m
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : -1
    if (f < 0) { print "NaN"; exit 1 }
    printf "%.3f", n * f }'
}
: >"$WORK/results.tsv"
for r in $(seq 1 "$ROUNDS"); do
  for t in "${TARGETS[@]}"; do
    f="$WORK/wrk/round$r-$t.txt"
    read -r u0 s0 < <(cpu_ticks "${CPU_PID[$t]}")
    run_wrk "$t" "$f" "$DURATION"
    read -r u1 s1 < <(cpu_ticks "${CPU_PID[$t]}")
    requests=$(awk '/ requests in / {print $1}' "$f")
    cpu_user=$(awk -v d=$((u1 - u0)) -v n="$requests" -v hz="$CLK_TCK" 'BEGIN {printf "%.1f", d * 1e6 / hz / n}')
    cpu_sys=$(awk -v d=$((s1 - s0)) -v n="$requests" -v hz="$CLK_TCK" 'BEGIN {printf "%.1f", d * 1e6 / hz / n}')
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$f")
    p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$f")")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$f")")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$f")
    sockerr=$(awk '/Socket errors:/ {sub(/^ *Socket errors: */, ""); gsub(/ /, ""); print}' "$f")
    [[ -n $rps && -n $p50 && -n $p99 ]] || die "cannot parse wrk output $f"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$r" "$rps" "$p50" "$p99" "${non2xx:-0}" "${sockerr:-none}" \
      "$cpu_user" "$cpu_sys" >>"$WORK/results.tsv"
    log "round $r/$ROUNDS $t: $rps req/s, p50 $p50 ms, p99 $p99 ms, CPU $cpu_user us user + $cpu_sys us system per request, non-2xx ${non2xx:-0}, socket errors ${sockerr:-none}"
  done
done
kill -0 "$SLUICE_PID" 2>/dev/null || die "Sluice died during the run; see $WORK/sluice.log"
if [[ $POLICIES == 1 ]]; then
  kill -0 "$POLICY_PID" 2>/dev/null || die "Sluice with policies died during the run; see $WORK/sluice-policies.log"
fi
if [[ $TLS == 1 ]]; then
  kill -0 "$TLS_PID" 2>/dev/null || die "Sluice over TLS died during the run; see $WORK/sluice-tls.log"
fi

# --- Phase 8: medians per target, the table, the ratios, and the markdown copy. ---
median() { # $1 = target, $2 = column of results.tsv
  awk -F'\t' -v t="$1" -v c="$2" '$1 == t {print $c}' "$WORK/results.tsv" | sort -g \
    | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
declare -A RPS P50 P99 ERR CPU_U CPU_S
for t in "${TARGETS[@]}"; do
  RPS[$t]=$(median "$t" 3); P50[$t]=$(median "$t" 4); P99[$t]=$(median "$t" 5)
  CPU_U[$t]=$(median "$t" 8); CPU_S[$t]=$(median "$t" 9)
  ERR[$t]=$(awk -F'\t' -v t="$t" '$1 == t {n += $6; if ($7 != "none") s = s " r" $2 ":" $7}
    END {printf "non-2xx %d, socket errors:%s", n, (s == "" ? " none" : s)}' "$WORK/results.tsv")
done
THR_RATIO=$(awk -v a="${RPS[sluice]}" -v b="${RPS[nginx]}" 'BEGIN {printf "%.2f", a / b}')
P99_RATIO=$(awk -v a="${P99[sluice]}" -v b="${P99[nginx]}" 'BEGIN {printf "%.2f", a / b}')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
by_round() { # $1 / $2 (targets) in column $3 of results.tsv, round by round: "0.97, 1.33, 1.08"
  awk -F'\t' -v a="$1" -v b="$2" -v c="$3" '$1 == a {x[$2] = $c} $1 == b {y[$2] = $c}
    END {for (r = 1; r in x; r++) printf "%s%.2f", (r > 1 ? ", " : ""), x[r] / y[r]; print ""}' "$WORK/results.tsv"
}
# The medians can hide a round: the same ratios round by round.
THR_ROUNDS=$(by_round sluice nginx 3); P99_ROUNDS=$(by_round sluice nginx 5)
CPU_RATIO=$(ratio "$(awk -v u="${CPU_U[sluice]}" -v s="${CPU_S[sluice]}" 'BEGIN {print u + s}')" \
  "$(awk -v u="${CPU_U[nginx]}" -v s="${CPU_S[nginx]}" 'BEGIN {print u + s}')")

printf '\n%-11s | %10s | %8s | %8s | %12s\n' target "req/s" "p50 ms" "p99 ms" "CPU us/req"
printf -- '------------+------------+----------+----------+-------------\n'
for t in "${TARGETS[@]}"; do
  printf '%-11s | %10.0f | %8.2f | %8.2f | %5.1f + %4.1f\n' "$t" "${RPS[$t]}" "${P50[$t]}" "${P99[$t]}" "${CPU_U[$t]}" "${CPU_S[$t]}"
done
echo
echo "sluice/nginx throughput ratio: $THR_RATIO (by round: $THR_ROUNDS)"
echo "sluice/nginx p99 ratio: $P99_RATIO (by round: $P99_ROUNDS)"
echo "sluice/nginx CPU time per request (user + system): $CPU_RATIO"
if [[ $SHAPES == 1 ]]; then
  C500_RATIO=$(ratio "${RPS[sluice-c500]}" "${RPS[nginx-c500]}"); C500_P99=$(ratio "${P99[sluice-c500]}" "${P99[nginx-c500]}")
  K4_RATIO=$(ratio "${RPS[sluice-4k]}" "${RPS[nginx-4k]}"); K4_P99=$(ratio "${P99[sluice-4k]}" "${P99[nginx-4k]}")
  echo "sluice-c500/nginx-c500 ($WIDE connections): throughput $C500_RATIO, p99 $C500_P99"
  echo "sluice-4k/nginx-4k (4 KiB answer): throughput $K4_RATIO, p99 $K4_P99"
fi
if [[ $TLS == 1 ]]; then
  TLS_THR_RATIO=$(awk -v a="${RPS[sluice-tls]}" -v b="${RPS[nginx-tls]}" 'BEGIN {printf "%.2f", a / b}')
  TLS_P99_RATIO=$(awk -v a="${P99[sluice-tls]}" -v b="${P99[nginx-tls]}" 'BEGIN {printf "%.2f", a / b}')
  TLS_THR_ROUNDS=$(by_round sluice-tls nginx-tls 3); TLS_P99_ROUNDS=$(by_round sluice-tls nginx-tls 5)
  echo "sluice-tls/nginx-tls throughput ratio (HTTPS, HTTP/1.1 keep-alive): $TLS_THR_RATIO (by round: $TLS_THR_ROUNDS)"
  echo "sluice-tls/nginx-tls p99 ratio: $TLS_P99_RATIO (by round: $TLS_P99_ROUNDS)"
fi
if [[ $POLICIES == 1 ]]; then
  POL_RATIO=$(awk -v a="${RPS[policies]}" -v b="${RPS[sluice]}" 'BEGIN {printf "%.2f", a / b}')
  POL_OFF_RATIO=$(ratio "${RPS[policies]}" "${RPS[policies-off]}")
  POL_OFF_CPU=$(ratio "$(awk -v u="${CPU_U[policies]}" -v s="${CPU_S[policies]}" 'BEGIN {print u + s}')" \
    "$(awk -v u="${CPU_U[policies-off]}" -v s="${CPU_S[policies-off]}" 'BEGIN {print u + s}')")
  echo "policies/sluice throughput ratio (key-auth + rate-limiting redis vs no policy): $POL_RATIO"
  echo "policies/policies-off (the same node, a route with and without the plugins): throughput $POL_OFF_RATIO, CPU time per request $POL_OFF_CPU"
fi
if [[ -n ${B_PID:-} ]]; then
  B_RATIO=$(ratio "${RPS[sluice-b]}" "${RPS[sluice]}")
  B_CPU=$(ratio "$(awk -v u="${CPU_U[sluice-b]}" -v s="${CPU_S[sluice-b]}" 'BEGIN {print u + s}')" \
    "$(awk -v u="${CPU_U[sluice]}" -v s="${CPU_S[sluice]}" 'BEGIN {print u + s}')")
  echo "sluice-b/sluice: throughput $B_RATIO, CPU time per request $B_CPU"
fi
echo
for t in "${TARGETS[@]}"; do echo "errors $t: ${ERR[$t]}"; done

{
  echo "### Proxy, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo
  echo "Load average after the run: $(cut -d' ' -f1-3 /proc/loadavg); $("$JAVA" -jar "$JAR" --version 2>/dev/null || true)"
  echo
  echo "Medians over $ROUNDS rounds; wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency, loopback," \
    "after a ${WARMUP}s warm-up per target. Sluice: 1 event loop, JVM \`$JAVA_OPTS\`; nginx: 1 worker."
  echo
  echo "| target | req/s | p50 ms | p99 ms | CPU us/req user | CPU us/req system |"
  echo "|---|---:|---:|---:|---:|---:|"
  for t in "${TARGETS[@]}"; do
    printf '| %s | %.0f | %.2f | %.2f | %.1f | %.1f |\n' "$t" "${RPS[$t]}" "${P50[$t]}" "${P99[$t]}" "${CPU_U[$t]}" "${CPU_S[$t]}"
  done
  echo
  echo "CPU us/req: CPU time of the target's own process (Sluice's JVM, the nginx worker; for direct the upstream's"
  echo "worker) over the run, per request, from /proc/PID/stat."
  echo
  echo "sluice/nginx throughput ratio: $THR_RATIO (by round: $THR_ROUNDS)  "
  echo "sluice/nginx p99 ratio: $P99_RATIO (by round: $P99_ROUNDS)  "
  echo "sluice/nginx CPU time per request (user + system): $CPU_RATIO"
  if [[ $SHAPES == 1 ]]; then
    echo
    echo "sluice-c500/nginx-c500 ($WIDE connections): throughput $C500_RATIO, p99 $C500_P99  "
    echo "sluice-4k/nginx-4k (4 KiB answer): throughput $K4_RATIO, p99 $K4_P99"
  fi
  if [[ $TLS == 1 ]]; then
    echo
    echo "sluice-tls/nginx-tls throughput ratio (HTTPS, HTTP/1.1 keep-alive, same certificate and ciphers): $TLS_THR_RATIO (by round: $TLS_THR_ROUNDS)  "
    echo "sluice-tls/nginx-tls p99 ratio: $TLS_P99_RATIO (by round: $TLS_P99_ROUNDS)"
  fi
  if [[ $POLICIES == 1 ]]; then
    echo
    echo "policies/sluice throughput ratio (key-auth + rate-limiting redis vs no policy): $POL_RATIO  "
    echo "policies/policies-off (the same node, a route with and without the plugins): throughput $POL_OFF_RATIO, CPU time per request $POL_OFF_CPU"
  fi
  if [[ -n ${B_PID:-} ]]; then
    echo
    echo "sluice-b ($SLUICE_JAR_B) / sluice ($JAR): throughput $B_RATIO, CPU time per request $B_CPU"
  fi
  echo
  echo "Per round (req/s, p50 ms, p99 ms):"
  echo
  echo "| round | target | req/s | p50 ms | p99 ms | non-2xx | socket errors | CPU us/req user + system |"
  echo "|---:|---|---:|---:|---:|---:|---|---:|"
  awk -F'\t' '{printf "| %s | %s | %.0f | %.2f | %.2f | %s | %s | %s + %s |\n", $2, $1, $3, $4, $5, $6, $7, $8, $9}' "$WORK/results.tsv"
} >"$OUT/proxy.md"
log "markdown table written to $OUT/proxy.md; raw wrk output and logs in $WORK/"
