#!/usr/bin/env bash
# HTTP through the proxy's HTTP code alone, on loopback: h2load -> Http2LoadHarness -> nginx.
# No test bed, no root; for measuring and profiling the per-request path (see bench/README.md).
#   bench/http-harness.sh [http/2|http/1] [rounds, default 4]
# PROXY_EXTRA="-XX:..." adds JVM options to the recommended ones (PROXY_JVM replaces them, as in
# bench/dataplane.sh); H2LOAD="..." replaces h2load's connection options.
# Paired mode, when B_TREE or B_EXTRA is set: a second proxy B (the proxy built from the project
# checkout B_TREE, default this one, with PROXY_EXTRA plus B_EXTRA) runs beside the first (A: this
# checkout, PROXY_EXTRA), and the rounds alternate A, B, A, B ... so that both see the same
# machine; at the end the mean of B/A (CPU per request) with its 95% interval.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=${1:-http/2}
ROUNDS=${2:-4}
PAIRED=; [ -n "${B_TREE:-}${B_EXTRA:-}" ] && PAIRED=1
source bench/build.sh
if [ -n "$PAIRED" ]; then
  B_TREE=$(cd "${B_TREE:-.}" && pwd)
  # B's data-plane classes over this checkout's dependencies: B may differ in data-plane only.
  if [ "$B_TREE" != "$PWD" ]; then (cd "$B_TREE" && ./mvnw -q -pl data-plane test-compile -Dspotless.check.skip=true); fi
fi
JVM="$(java -cp "$BENCH_CP" dev.portolan.bench.DataPlaneBenchmark --proxy-jvm) ${PROXY_EXTRA:-}"

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Loopback ports chosen by the kernel for this run: the harness, nginx's HTTP/1 and h2c servers.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
H1=$(free_port); H2=$(free_port)
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  client_body_temp_path $work/body;
  proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fcgi;
  uwsgi_temp_path $work/uwsgi;
  scgi_temp_path $work/scgi;
  server { listen 127.0.0.1:$H2 http2; location / { return 200 "hello"; } }
  server { listen 127.0.0.1:$H1; location / { return 200 "hello"; } }
}
CONF
nginx -c "$work/nginx.conf" -p "$work"

if [ "$VERSION" = http/1 ]; then UP=$H1; LOAD=(--h1 -c 20); else UP=$H2; LOAD=(-c 20 -m 10); fi
# H2LOAD="-c 20 -m 1" replaces h2load's connection options (keep --h1 for HTTP/1).
if [ -n "${H2LOAD:-}" ]; then read -ra LOAD <<< "$H2LOAD"; fi

# Starts the harness from checkout $1 with JVM options $2; sets PORT and PID.
start() {
  local tree=$1 jvm=$2 cp
  cp="$tree/data-plane/target/classes:$tree/data-plane/target/test-classes:$(proxy_dependencies)"
  PORT=$(free_port)
  # shellcheck disable=SC2086
  java --enable-native-access=ALL-UNNAMED -Dio.netty.leakDetection.level=disabled \
    -Dio.netty.jfr.enabled=false $jvm -cp "$cp" dev.portolan.proxy.http.Http2LoadHarness \
    "$PORT" "$UP" 2 io_uring "$VERSION" > "$work/harness-$PORT.out" 2>&1 &
  PID=$!
  pids+=("$PID")
  for _ in $(seq 100); do grep -q listening "$work/harness-$PORT.out" && break; sleep 0.1; done
  grep -q listening "$work/harness-$PORT.out" || { cat "$work/harness-$PORT.out"; exit 1; }
}
start "$PWD" "$JVM"
A_PORT=$PORT A_PID=$PID
echo "machine: $(nproc) cores, $(uname -sr), $(java -version 2>&1 | head -1)"
echo "peers: $(nginx -v 2>&1), $(h2load --version | head -1); proxy: Http2LoadHarness, 2 io_uring loops, $VERSION, $JVM"
if [ -n "$PAIRED" ]; then
  start "$B_TREE" "$JVM ${B_EXTRA:-}"
  B_PORT=$PORT B_PID=$PID
  echo "B: the proxy of $B_TREE, extra options: ${B_EXTRA:-none}"
fi
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
# One measured round of $3 requests to port $1; prints the proxy $2's CPU ticks, or fails.
round() {
  local t0 t1 out
  t0=$(ticks "$2")
  out=$(h2load "${LOAD[@]}" -n "$3" "http://127.0.0.1:$1/")
  t1=$(ticks "$2")
  grep -q "$3 succeeded" <<< "$out" || { echo "round failed: $out" >&2; return; }
  echo "$((t1 - t0)) $(grep -oP 'finished in [0-9.]+m?s, \K[0-9.]+' <<< "$out")"
}
# The JIT needs several runs of this size to compile the HTTP paths (bench/README.md).
for _ in 1 2 3 4 5 6; do
  h2load "${LOAD[@]}" -n 100000 "http://127.0.0.1:$A_PORT/" > /dev/null
  [ -z "$PAIRED" ] || h2load "${LOAD[@]}" -n 100000 "http://127.0.0.1:$B_PORT/" > /dev/null
done
if [ -z "$PAIRED" ]; then
  for r in $(seq "$ROUNDS"); do
    read -r t rps < <(round "$A_PORT" "$A_PID" 200000) && [ -n "$t" ] || exit 1
    awk -v r="$r" -v rps="$rps" -v t="$t" -v hz="$hz" \
      'BEGIN { printf "round %d: %s req/s, proxy CPU %.1f µs per request (200000 succeeded)\n", r, rps, t * 1e6 / hz / 200000 }'
  done
  echo "proxy: $(grep -E 'VmHWM|VmRSS' "/proc/$A_PID/status" | tr -s ' \t' ' ' | tr '\n' ' ')"
  exit 0
fi
for r in $(seq "$ROUNDS"); do
  read -r ta _ < <(round "$A_PORT" "$A_PID" 100000) && [ -n "$ta" ] || exit 1
  read -r tb _ < <(round "$B_PORT" "$B_PID" 100000) && [ -n "$tb" ] || exit 1
  awk -v r="$r" -v a="$ta" -v b="$tb" -v hz="$hz" \
    'BEGIN { printf "pair %d: A %.1f, B %.1f µs per request, B/A %.3f\n", r, a * 1e6 / hz / 1e5, b * 1e6 / hz / 1e5, b / a }'
done | tee "$work/pairs"
awk '{ x = $NF; s += x; ss += x * x; n++ }
  END { m = s / n; sd = n > 1 ? sqrt((ss - n * m * m) / (n - 1)) : 0
        printf "B/A CPU per request: mean %.3f, 95%% interval ±%.3f (%d pairs, normal approximation)\n", m, 1.96 * sd / sqrt(n), n }' "$work/pairs"
echo "A: $(grep -E 'VmHWM|VmRSS' "/proc/$A_PID/status" | tr -s ' \t' ' ' | tr '\n' ' ')"
echo "B: $(grep -E 'VmHWM|VmRSS' "/proc/$B_PID/status" | tr -s ' \t' ' ' | tr '\n' ' ')"
