#!/usr/bin/env bash
# make cluster / make cluster-stop: three Sluice nodes on this machine, one Hazelcast cluster, sharing
# PostgreSQL (database sluice), Redis (127.0.0.1:6379) and one Kafka broker (the first node's in-process one).
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=target/cluster
JAR=target/sluice.jar
JAVA=${JAVA:-java}
NODES=${CLUSTER_NODES:-3}
PG_DB=${PG_DB:-sluice}
ECHO_PORT=${ECHO_PORT:-8070}
KAFKA_PORT=${CLUSTER_KAFKA_PORT:-9092}

proxy_port() { echo $((8080 + $1)); }
admin_port() { echo $((9100 + $1)); }
stream_port() { echo $((9200 + $1)); }
hz_port() { echo $((5700 + $1)); }
tls_port() { echo $((8443 + $1)); }

stop() {
  [ -d "$DIR" ] || { echo "no cluster running (no $DIR)"; return 0; }
  local pids=()
  for f in "$DIR"/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    if alive "$f"; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
    rm -f "$f"
  done
  # Nodes drain (proxy.drain_timeout_ms, 2 s here) and exit 0; anything still there after 20 s is killed.
  for _ in $(seq 1 200); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  echo "cluster stopped (${#pids[@]} processes)"
}

# Polls a node's readiness; a node that exits meanwhile is reported at once with the end of its log.
wait_ready() {
  local port=$1 name=$2 pid
  pid=$(cat "$DIR/$name.pid")
  for _ in $(seq 1 600); do
    if curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" 2>/dev/null && code=0 || code=$?
      rm -f "$DIR/$name.pid"
      echo "$name exited during start-up (exit code $code); the end of $DIR/$name.log:" >&2
      tail -n 20 "$DIR/$name.log" | sed 's/^/  /' >&2
      return 1
    fi
    sleep 0.2
  done
  echo "$name did not become ready within 120 s; see $DIR/$name.log" >&2
  return 1
}

# A process of ours still running from this pid file? (A pid file whose process is gone, or whose pid now
# belongs to another program, is stale.)
alive() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
    && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -e sluice.jar -e io.sluice
}

# Something already listening on 127.0.0.1:PORT (a connect succeeds)?
port_busy() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Every port the nodes will bind, checked before anything starts: a busy one fails at once, named.
check_ports() {
  local busy=() i
  for i in $(seq 1 "$NODES"); do
    port_busy "$(proxy_port "$i")" && busy+=("$(proxy_port "$i") (proxy of node-$i)")
    port_busy "$(tls_port "$i")" && busy+=("$(tls_port "$i") (HTTPS proxy of node-$i)")
    port_busy "$(admin_port "$i")" && busy+=("$(admin_port "$i") (admin of node-$i)")
    port_busy "$(stream_port "$i")" && busy+=("$(stream_port "$i") (stream of node-$i)")
    port_busy "$(hz_port "$i")" && busy+=("$(hz_port "$i") (Hazelcast of node-$i)")
  done
  port_busy "$KAFKA_PORT" && busy+=("$KAFKA_PORT (Kafka broker of node-1)")
  if ((${#busy[@]})); then
    echo "make cluster: port(s) already in use, nothing started:" >&2
    printf '  %s\n' "${busy[@]}" >&2
    echo "  (is \`make run\` still up? It holds 8080, 9001, 9002 and Kafka's 9092.)" >&2
    exit 1
  fi
}

start() {
  local f
  for f in "$DIR"/node-*.pid; do
    [ -e "$f" ] || continue
    if alive "$f"; then
      echo "a cluster is already running ($(basename "$f" .pid), pid $(cat "$f")): make cluster-stop first" >&2
      exit 1
    fi
  done
  for f in "$DIR"/*.pid; do # stale pid files (their processes are gone) would block or mislead later runs
    if [ -e "$f" ] && ! alive "$f"; then rm -f "$f"; fi
  done
  check_ports
  mkdir -p "$DIR"
  psql -h 127.0.0.1 -U postgres -d postgres -qAt -c "select 1 from pg_database where datname = '$PG_DB'" | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -d postgres -qAt -c "create database $PG_DB"
  if ! curl -s "http://127.0.0.1:$ECHO_PORT/" >/dev/null 2>&1; then
    $JAVA -jar "$JAR" echo --port "$ECHO_PORT" >"$DIR/echo.log" 2>&1 &
    echo $! >"$DIR/echo.pid"
  fi
  members=""
  for i in $(seq 1 "$NODES"); do members="$members${members:+,}127.0.0.1:$(hz_port "$i")"; done
  for i in $(seq 1 "$NODES"); do
    name="node-$i"
    env_kafka=(SLUICE_KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT")
    if [ "$i" = 1 ]; then
      env_kafka=(SLUICE_KAFKA_BOOTSTRAP= SLUICE_KAFKA_EMBEDDED_PORT="$KAFKA_PORT" SLUICE_KAFKA_DATA_DIR="$DIR/kafka")
    fi
    env SLUICE_NODE_NAME="$name" \
      SLUICE_PG_URL="postgresql://postgres@127.0.0.1:5432/$PG_DB" \
      SLUICE_ROUTES_FILE=conf/routes.yaml \
      SLUICE_PROXY_PORT="$(proxy_port "$i")" SLUICE_PROXY_INSTANCES=1 SLUICE_PROXY_DRAIN_TIMEOUT_MS=2000 \
      SLUICE_ADMIN_PORT="$(admin_port "$i")" SLUICE_PROXY_TLS_PORT="$(tls_port "$i")" \
      SLUICE_STREAM_PORT="$(stream_port "$i")" \
      SLUICE_STREAM_CURSOR_SECRET=local-cluster-cursor-secret \
      SLUICE_KEYS_HMAC_SECRET=local-cluster-hmac-secret \
      SLUICE_SPOOL_DIR="$DIR/$name-spool" \
      SLUICE_CLUSTER_DISCOVERY=tcp-ip SLUICE_CLUSTER_MEMBERS="$members" SLUICE_CLUSTER_PORT="$(hz_port "$i")" \
      "${env_kafka[@]}" \
      $JAVA ${HZ_OPTS:-} ${SLUICE_JAVA_OPTS:-} -jar "$JAR" run --config conf/sluice.yaml >"$DIR/$name.log" 2>&1 &
    echo $! >"$DIR/$name.pid"
    # The first node carries the Kafka broker the others write to: let it come up first.
    if [ "$i" = 1 ]; then wait_ready "$(admin_port 1)" "$name" || { stop >/dev/null; exit 1; }; fi
  done
  for i in $(seq 1 "$NODES"); do wait_ready "$(admin_port "$i")" "node-$i" || { stop >/dev/null; exit 1; }; done
  echo "cluster of $NODES nodes is up (logs in $DIR/):"
  printf '  %-7s %-24s %-24s %-24s %s\n' node proxy admin stream hazelcast
  for i in $(seq 1 "$NODES"); do
    printf '  %-7s %-24s %-24s %-24s %s\n' "node-$i" "http://127.0.0.1:$(proxy_port "$i")" \
      "http://127.0.0.1:$(admin_port "$i")" "ws://127.0.0.1:$(stream_port "$i")" "127.0.0.1:$(hz_port "$i")"
  done
  echo "  try: curl -s http://127.0.0.1:$(admin_port 1)/cluster"
  echo "stop with: make cluster-stop"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
