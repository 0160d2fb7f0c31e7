#!/usr/bin/env bash
# HTTP through the proxy's HTTP code alone, on loopback: h2load -> Http2LoadHarness -> nginx.
# No test bed, no root; for measuring and profiling the per-request path (see bench/README.md).
#   bench/http-harness.sh [http/2|http/1] [rounds, default 4]
# PROXY_EXTRA="-XX:..." adds JVM options to the recommended ones (PROXY_JVM replaces them, as in
# bench/dataplane.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=${1:-http/2}
ROUNDS=${2:-4}
source bench/build.sh
JVM="$(java -cp "$BENCH_CP" dev.portolan.bench.DataPlaneBenchmark --proxy-jvm) ${PROXY_EXTRA:-}"

work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Loopback ports chosen by the kernel for this run: the harness, nginx's HTTP/1 and h2c servers.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port); H1=$(free_port); H2=$(free_port)
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
CP="data-plane/target/classes:data-plane/target/test-classes:$(proxy_dependencies)"
# shellcheck disable=SC2086
java --enable-native-access=ALL-UNNAMED -Dio.netty.leakDetection.level=disabled \
  -Dio.netty.jfr.enabled=false $JVM -cp "$CP" dev.portolan.proxy.http.Http2LoadHarness \
  "$PORT" "$UP" 2 io_uring "$VERSION" > "$work/harness.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q listening "$work/harness.out" && break; sleep 0.1; done
grep -q listening "$work/harness.out" || { cat "$work/harness.out"; exit 1; }

echo "machine: $(nproc) cores, $(uname -sr), $(java -version 2>&1 | head -1)"
echo "peers: $(nginx -v 2>&1), $(h2load --version | head -1); proxy: Http2LoadHarness, 2 io_uring loops, $VERSION, $JVM"
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
# The JIT needs several runs of this size to compile the HTTP paths (bench/README.md).
for _ in 1 2 3 4 5 6; do h2load "${LOAD[@]}" -n 100000 "http://127.0.0.1:$PORT/" > /dev/null; done
for r in $(seq "$ROUNDS"); do
  t0=$(ticks)
  out=$(h2load "${LOAD[@]}" -n 200000 "http://127.0.0.1:$PORT/")
  t1=$(ticks)
  rps=$(grep -oP 'finished in [0-9.]+m?s, \K[0-9.]+' <<< "$out")
  done_=$(grep -oP '[0-9]+ succeeded' <<< "$out")
  awk -v r="$r" -v rps="$rps" -v d="$done_" -v t=$((t1 - t0)) -v hz="$hz" \
    'BEGIN { printf "round %d: %s req/s, proxy CPU %.1f µs per request (%s)\n", r, rps, t * 1e6 / hz / 200000, d }'
done
echo "proxy: $(grep -E 'VmHWM|VmRSS' "/proc/$pid/status" | tr -s ' \t' ' ' | tr '\n' ' ')"
