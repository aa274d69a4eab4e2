# Shared by the bench scripts (sourced, not run): logging, the processes a script starts and their clean-up,
# free loopback ports, and waiting for a server. The script sets BENCH_TAG (its log prefix) and WORK (where its
# logs go) first, and may define on_exit (run after its processes are stopped: dropping a database, say).
# Ports are taken from PORT_LO..PORT_HI (default 20000-32000: below the kernel's ephemeral range, 32768 and up,
# where a port no server listens on may still be the local end of some outgoing connection, and a bind fails).

log() { printf '[%s] %s\n' "$BENCH_TAG" "$*" >&2; }
die() { printf '[%s] error: %s\n' "$BENCH_TAG" "$*" >&2; exit 1; }

# Every process the script starts goes into PIDS (PIDS+=($!)); on exit each gets TERM, up to 10 s to go, then
# KILL, and wait reaps it so that no zombie is left behind.
PIDS=()
exited() { [[ ! -e /proc/$1 ]] || [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) == Z ]]; }
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 100); do exited "$pid" && break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if declare -F on_exit >/dev/null; then on_exit; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port nobody listens on (checked by connecting); ports already handed out are skipped.
TAKEN=" "
free_port() {
  local p lo=${PORT_LO:-20000} hi=${PORT_HI:-32000}
  for _ in $(seq 1 200); do
    p=$((lo + RANDOM % (hi - lo)))
    [[ $TAKEN == *" $p "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then TAKEN+="$p "; echo "$p"; return; fi
  done
  die "no free port found"
}

# Polls URL until it answers 200 (up to 60 s); gives up at once if the process PID died.
wait_ready() { # $1 name (its log: $WORK/NAME.log), $2 url, $3 pid
  for _ in $(seq 1 300); do
    kill -0 "$3" 2>/dev/null || die "$1 exited during start-up; see $WORK/$1.log"
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$2" || true) == 200 ]] && return 0
    sleep 0.2
  done
  die "$1 not ready after 60 s ($2); see $WORK/$1.log"
}

# CPU time of a whole process (every thread), from /proc/PID/stat: "utime stime" in clock ticks (CLK_TCK a second).
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }
# Microseconds of CPU per request from two cpu_ticks readings: $1 before ("u s"), $2 after, $3 requests;
# prints "user system".
cpu_us_per_request() {
  awk -v a="$1" -v b="$2" -v n="$3" -v hz="$CLK_TCK" 'BEGIN {split(a, x, " "); split(b, y, " ");
    printf "%.2f %.2f", (y[1] - x[1]) * 1e6 / hz / n, (y[2] - x[2]) * 1e6 / hz / n}'
}
# CPU ticks (user + system) of each thread of a process, summed by thread name with its number dropped
# ("GC Thread#1" and "GC Thread#0" as "GC Thread"; names are the kernel's, cut at 15 characters): "name<TAB>ticks".
thread_ticks() {
  local f line rest name
  for f in /proc/"$1"/task/*/stat; do
    line=$(<"$f") 2>/dev/null || continue
    name=${line#*(}; name=${name%)*}; rest=${line##*) }
    read -r -a x <<<"$rest"
    [[ $name =~ ^(.*[^0-9#])[0-9#]+$ ]] && name=${BASH_REMATCH[1]}
    printf '%s\t%s\n' "$name" $((x[11] + x[12]))
  done | awk -F'\t' '{t[$1] += $2} END {for (n in t) printf "%s\t%d\n", n, t[n]}'
}
# Per-thread-group CPU us per request between two thread_ticks outputs (files $1 and $2), $3 requests, the
# largest first: "name<TAB>us".
thread_us_per_request() {
  awk -F'\t' -v n="$3" -v hz="$CLK_TCK" 'NR == FNR {a[$1] = $2; next} {d = $2 - a[$1]; if (d > 0) printf "%s\t%.2f\n", $1, d * 1e6 / hz / n}' \
    "$1" "$2" | sort -t$'\t' -k2 -gr
}

# The TLS 1.2 suites Sluice offers, given to nginx too (TLS 1.3 suites are both's defaults): the HTTPS rows compare
# like with like.
TLS_CIPHERS_OPENSSL="ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
# The benchmark's certificate for localhost (EC P-256): $WORK/tls.pem and $WORK/tls.key.
make_certificate() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost -keyout "$WORK/tls.key" -out "$WORK/tls.pem" 2>/dev/null \
    || die "openssl could not make the bench certificate"
}
# Uploads $WORK/tls.pem and its key through the admin API at $1 with the SNI localhost; $2 the node's log.
upload_certificate() {
  local cert_id
  cert_id=$(jq -n --rawfile cert "$WORK/tls.pem" --rawfile key "$WORK/tls.key" '{cert: $cert, key: $key}' \
    | curl -sf --max-time 5 -H 'Content-Type: application/json' -d @- "$1/certificates" | jq -r .id) \
    || die "could not upload the bench certificate; see $2"
  curl -sf --max-time 5 -o /dev/null -H 'Content-Type: application/json' -X POST "$1/snis?wait=true" \
    -d "{\"name\": \"localhost\", \"certificate\": \"$cert_id\"}" || die "could not add the bench SNI"
}
# The mean of numbers read one per line (the rounds' ratios) and its 95% confidence interval (Student's t, n - 1
# degrees of freedom), printed as "mean low high n".
mean_interval() {
  awk '{s += $1; q += $1 * $1; n++}
    END {split("12.71 4.30 3.18 2.78 2.57 2.45 2.36 2.31 2.26 2.23 2.20 2.18 2.16 2.14 2.13", t, " ")
      m = s / n; sd = n > 1 ? sqrt((q - n * m * m) / (n - 1)) : 0; h = n > 1 ? (n - 1 <= 15 ? t[n - 1] : 2.0) * sd / sqrt(n) : 0
      printf "%.6f %.6f %.6f %d\n", m, m - h, m + h, n}'
}

# BENCH_PG_CORE (a core number; empty: nothing pinned): PostgreSQL's server and every session it forks pinned to
# that core and the caller's JVM to the others, as when the database has a machine of its own. Sets PIN (the
# command prefix for the JVM: `"${PIN[@]}" java ...`) and LAYOUT (a line for the results); the server's affinity
# is restored to every core when the script exits. Needs taskset and the right to change the server's processes.
pg_core_layout() { # $1 = PostgreSQL URL (without a database)
  PIN=()
  LAYOUT="PostgreSQL and the benchmark's JVM share the machine's $(nproc) cores"
  [[ -n ${BENCH_PG_CORE:-} ]] || return 0
  local dir others
  dir=$(psql "$1/postgres" -Atc 'show data_directory') || die "BENCH_PG_CORE: cannot ask PostgreSQL for its data directory"
  PG_POSTMASTER=$(head -1 "$dir/postmaster.pid") || die "BENCH_PG_CORE: cannot read $dir/postmaster.pid"
  others=$(seq 0 $(($(nproc) - 1)) | grep -vx "$BENCH_PG_CORE" | paste -sd,)
  pg_pin "$BENCH_PG_CORE"
  PIN=(taskset -c "$others")
  LAYOUT="PostgreSQL (its server and every session) pinned to core $BENCH_PG_CORE, the benchmark's JVM to cores $others (BENCH_PG_CORE)"
}
pg_pin() { # $1 = cores for the server and its sessions
  local p
  for p in "$PG_POSTMASTER" $(pgrep -P "$PG_POSTMASTER"); do taskset -p -c "$1" "$p" >/dev/null || true; done
}
pg_unpin() { [[ -z ${PG_POSTMASTER:-} ]] || pg_pin "0-$(($(nproc) - 1))"; }
