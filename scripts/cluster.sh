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

stop() {
  [ -d "$DIR" ] || { echo "no cluster running (no $DIR)"; return 0; }
  local pids=()
  for f in "$DIR"/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
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

wait_ready() {
  local port=$1 name=$2
  for _ in $(seq 1 600); do
    if curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  echo "$name did not become ready; see $DIR/$name.log" >&2
  return 1
}

start() {
  if ls "$DIR"/*.pid >/dev/null 2>&1; then
    echo "a cluster is already running: make cluster-stop first" >&2
    exit 1
  fi
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
      SLUICE_ADMIN_PORT="$(admin_port "$i")" \
      SLUICE_STREAM_PORT="$(stream_port "$i")" \
      SLUICE_STREAM_CURSOR_SECRET=local-cluster-cursor-secret \
      SLUICE_KEYS_HMAC_SECRET=local-cluster-hmac-secret \
      SLUICE_SPOOL_DIR="$DIR/$name-spool" \
      SLUICE_CLUSTER_DISCOVERY=tcp-ip SLUICE_CLUSTER_MEMBERS="$members" SLUICE_CLUSTER_PORT="$(hz_port "$i")" \
      "${env_kafka[@]}" \
      $JAVA ${HZ_OPTS:-} ${SLUICE_JAVA_OPTS:-} -jar "$JAR" run --config conf/sluice.yaml >"$DIR/$name.log" 2>&1 &
    echo $! >"$DIR/$name.pid"
    # The first node carries the Kafka broker the others write to: let it come up first.
    [ "$i" = 1 ] && wait_ready "$(admin_port 1)" "$name"
  done
  for i in $(seq 1 "$NODES"); do wait_ready "$(admin_port "$i")" "node-$i"; done
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
