#!/usr/bin/env bash
# HTTP/2 benchmark: h2load (nghttp2-client) with h2c prior knowledge against (a) Sluice's plain port and (b) nginx
# as a reverse proxy listening h2c (`listen ... http2`), both in front of the same HTTP/1.1 upstream (nginx, a
# fixed 6-byte body, keep-alive), one worker/event loop each, in alternating rounds; and HTTP/2 over TLS (ALPN h2)
# against the same Sluice's TLS port, its certificate uploaded through the admin API, and nginx with `ssl http2`,
# the same certificate (openssl, EC P-256) and ciphers ("sluice-tls", "nginx-tls"; BENCH_TLS=0 leaves them out;
# they need PostgreSQL, openssl and jq). h2load reports min, max and mean latency (no percentiles): the table
# gives throughput and mean and max request time.
#
#   BENCH_DURATION  seconds per measured run (default 10)   BENCH_CLIENTS  h2load -c (default 50)
#   BENCH_STREAMS   h2load -m, streams per connection (10)  BENCH_ROUNDS   rounds of sluice, nginx (default 3)
#   BENCH_PORT_LO, BENCH_PORT_HI  the range free ports are taken from (default 20000-32000)
#
# Writes $BENCH_OUT/h2.md (default target/bench); raw output in $BENCH_OUT/work-h2/. Only 127.0.0.1 is used.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-5}
CLIENTS=${BENCH_CLIENTS:-50}
STREAMS=${BENCH_STREAMS:-10}
ROUNDS=${BENCH_ROUNDS:-3}
TLS=${BENCH_TLS:-1}
PG_BASE=${BENCH_PG_URL:-postgresql://postgres@127.0.0.1:5432}
TLS_DB=""
PORT_LO=${BENCH_PORT_LO:-20000}
PORT_HI=${BENCH_PORT_HI:-32000}
JAVA_OPTS=${BENCH_JAVA_OPTS:--Xms512m -Xmx512m -XX:+UseParallelGC}
JAR=${SLUICE_JAR:-target/sluice.jar}
JAVA=${JAVA:-java}
OUT=${BENCH_OUT:-$ROOT/target/bench}
case $OUT in /*) ;; *) OUT="$ROOT/$OUT" ;; esac # relative to the checkout (make bench passes target/bench)
WORK="$OUT/work-h2"

BENCH_TAG=bench-h2
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh" # log, die, PIDS and their clean-up, free_port (PORT_LO..PORT_HI), wait_ready
on_exit() { # after the processes are stopped: the throwaway database
  [[ -z $TLS_DB ]] || psql "$PG_BASE/postgres" -qAt -c "drop database if exists $TLS_DB with (force)" >/dev/null 2>&1 || true
}
[[ -f $JAR ]] || die "$JAR not found; build it first (make bench does)"
command -v h2load >/dev/null || { log "installing nghttp2-client (h2load)"; apt-get install -y -qq nghttp2-client >/dev/null 2>&1 \
  || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq nghttp2-client >/dev/null; } || die "h2load is required"; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x $NGINX ]] || die "nginx is required"

mkdir -p "$WORK/up" "$WORK/proxy" "$WORK/h2load"
nginx_conf() { # $1 dir, $2 server block
  cat <<EOF
daemon off;
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_timeout 75s;
  keepalive_requests 1000000;
  http2_max_concurrent_streams 128;
  client_body_temp_path $1/client_body;
  proxy_temp_path $1/proxy;
  fastcgi_temp_path $1/fastcgi;
  uwsgi_temp_path $1/uwsgi;
  scgi_temp_path $1/scgi;
$2
}
EOF
}

UPSTREAM_PORT=$(free_port); SLUICE_PORT=$(free_port); ADMIN_PORT=$(free_port); NGINX_PORT=$(free_port)
SLUICE_TLS_PORT=$(free_port); NGINX_TLS_PORT=$(free_port)
NGINX_TLS_SERVER=""
if [[ $TLS == 1 ]]; then
  for tool in psql openssl jq; do command -v "$tool" >/dev/null || die "BENCH_TLS=1 needs $tool (or set BENCH_TLS=0)"; done
  make_certificate
  NGINX_TLS_SERVER="  server {
    listen 127.0.0.1:$NGINX_TLS_PORT ssl http2;
    ssl_certificate $WORK/tls.pem;
    ssl_certificate_key $WORK/tls.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers $TLS_CIPHERS_OPENSSL;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection \"\"; }
  }"
fi
nginx_conf "$WORK/up" "  server { listen 127.0.0.1:$UPSTREAM_PORT; location / { default_type text/plain; return 200 \"hello\n\"; } }" \
  >"$WORK/up/nginx.conf"
"$NGINX" -p "$WORK/up" -c "$WORK/up/nginx.conf" -e "$WORK/up/error.log" >"$WORK/upstream.log" 2>&1 &
PIDS+=($!)
wait_ready upstream "http://127.0.0.1:$UPSTREAM_PORT/" "${PIDS[-1]}"

nginx_conf "$WORK/proxy" "  upstream backend { server 127.0.0.1:$UPSTREAM_PORT; keepalive 64; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:$NGINX_PORT http2;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection \"\"; }
  }
$NGINX_TLS_SERVER" >"$WORK/proxy/nginx.conf"
"$NGINX" -p "$WORK/proxy" -c "$WORK/proxy/nginx.conf" -e "$WORK/proxy/error.log" >"$WORK/nginx.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -s --http2-prior-knowledge -o /dev/null "http://127.0.0.1:$NGINX_PORT/" && break; sleep 0.1; done

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
  h2c: true
$([[ $TLS == 1 ]] && printf '  tls_port: %s' "$SLUICE_TLS_PORT")
admin:
  host: 127.0.0.1
  port: $ADMIN_PORT
routes_file: $WORK/routes.yaml
stream:
  enabled: false
log:
  level: warn
  format: text
EOF
if [[ $TLS == 1 ]]; then
  TLS_DB="sluice_bench_h2_$RANDOM$RANDOM"
  psql "$PG_BASE/postgres" -qAt -c "create database $TLS_DB" >/dev/null || die "cannot create database $TLS_DB"
  printf 'pg:\n  url: %s\nkeys:\n  encryption_secret: bench-encryption-secret\n' "$PG_BASE/$TLS_DB" >>"$WORK/sluice.yaml"
fi
unset_sluice=()
for v in $(compgen -e | grep '^SLUICE_' || true); do unset_sluice+=(-u "$v"); done
# shellcheck disable=SC2086 # JAVA_OPTS is a list of flags
env "${unset_sluice[@]}" "$JAVA" $JAVA_OPTS -jar "$JAR" run --config "$WORK/sluice.yaml" >"$WORK/sluice.log" 2>&1 &
PIDS+=($!)
wait_ready sluice "http://127.0.0.1:$ADMIN_PORT/health/ready" "${PIDS[-1]}"
TARGETS=(sluice nginx)
declare -A URL=([sluice]="http://127.0.0.1:$SLUICE_PORT/" [nginx]="http://127.0.0.1:$NGINX_PORT/")
if [[ $TLS == 1 ]]; then
  upload_certificate "http://127.0.0.1:$ADMIN_PORT" "$WORK/sluice.log"
  for t in sluice nginx; do
    port=$([[ $t == sluice ]] && echo "$SLUICE_TLS_PORT" || echo "$NGINX_TLS_PORT")
    v=$(curl -s --http2 --cacert "$WORK/tls.pem" -o /dev/null -w '%{http_version} %{http_code}' "https://localhost:$port/")
    [[ $v == "2 200" ]] || die "$t does not answer h2 over TLS with 200 (got '$v')"
  done
  TARGETS+=(sluice-tls nginx-tls)
  URL[sluice-tls]="https://localhost:$SLUICE_TLS_PORT/"
  URL[nginx-tls]="https://localhost:$NGINX_TLS_PORT/"
fi
for t in sluice nginx; do
  port=$([[ $t == sluice ]] && echo "$SLUICE_PORT" || echo "$NGINX_PORT")
  v=$(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_version} %{http_code}' "http://127.0.0.1:$port/")
  [[ $v == "2 200" ]] || die "$t does not answer h2c with 200 (got '$v')"
done
log "upstream $UPSTREAM_PORT, sluice $SLUICE_PORT (h2c), nginx $NGINX_PORT (h2c)$([[ $TLS == 1 ]] && echo ", over TLS: sluice $SLUICE_TLS_PORT, nginx $NGINX_TLS_PORT")"

run_h2load() { # $1 target, $2 output, $3 seconds
  timeout $(($3 + 30)) h2load -t 1 -c "$CLIENTS" -m "$STREAMS" -D "$3" "${URL[$1]}" >"$2" 2>&1 \
    || die "h2load against $1 failed; see $2"
  grep -q '^requests: .* 0 failed, 0 errored' "$2" || die "h2load against $1 had failed requests; see $2"
}
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); print v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v); print v} else {sub(/s$/,"",v); print v*1000}}'; }
for t in "${TARGETS[@]}"; do run_h2load "$t" "$WORK/h2load/warmup-$t.txt" "$WARMUP"; done
: >"$WORK/results.tsv"
for r in $(seq 1 "$ROUNDS"); do
  for t in "${TARGETS[@]}"; do
    f="$WORK/h2load/round$r-$t.txt"
    run_h2load "$t" "$f" "$DURATION"
    rps=$(awk '/^finished in/ {gsub(",", "", $4); print $4}' "$f")
    mean=$(awk '/^time for request:/ {print $6}' "$f" | to_ms)
    max=$(awk '/^time for request:/ {print $5}' "$f" | to_ms)
    printf '%s\t%s\t%s\t%s\n' "$t" "$rps" "$mean" "$max" >>"$WORK/results.tsv"
    log "round $r $t: $rps req/s, mean $mean ms, max $max ms"
  done
done
median() { awk -v t="$1" -v c="$2" '$1 == t {print $c}' "$WORK/results.tsv" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
{
  echo "### HTTP/2 (h2c prior knowledge$([[ $TLS == 1 ]] && echo '; and over TLS, ALPN h2')), $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo
  echo "Load average after the rounds: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "Medians over $ROUNDS rounds; h2load -t1 -c$CLIENTS -m$STREAMS -D${DURATION}s, loopback, after a ${WARMUP}s warm-up;"
  echo "both proxies h2c to the client, HTTP/1.1 keep-alive to the same nginx upstream. Sluice: 1 event loop, JVM \`$JAVA_OPTS\`; nginx: 1 worker."
  echo
  echo "| target | req/s | mean ms | max ms |"
  echo "|---|---:|---:|---:|"
  for t in "${TARGETS[@]}"; do echo "| $t | $(median "$t" 2) | $(median "$t" 3) | $(median "$t" 4) |"; done
  echo
  echo "sluice/nginx throughput ratio: $(awk -v a="$(median sluice 2)" -v b="$(median nginx 2)" 'BEGIN {printf "%.2f", a / b}')  "
  echo "sluice/nginx mean latency ratio: $(awk -v a="$(median sluice 3)" -v b="$(median nginx 3)" 'BEGIN {printf "%.2f", a / b}')"
  if [[ $TLS == 1 ]]; then
    echo
    echo "over TLS, sluice-tls/nginx-tls throughput ratio: $(awk -v a="$(median sluice-tls 2)" -v b="$(median nginx-tls 2)" 'BEGIN {printf "%.2f", a / b}')  "
    echo "over TLS, sluice-tls/nginx-tls mean latency ratio: $(awk -v a="$(median sluice-tls 3)" -v b="$(median nginx-tls 3)" 'BEGIN {printf "%.2f", a / b}')"
  fi
} >"$OUT/h2.md"
cat "$OUT/h2.md"
