#!/usr/bin/env bash
# The proxy's start-up and its first exchanges, without and with a JDK AOT cache (docs/proxy.md,
# "Start-up"): one cache recorded from a start (ProxyMain --exit-when-ready), one from a training
# run (ProxyMain --train: HTTP/1.1, HTTP/2 and TCP through the proxy on loopback). No root, no test
# bed: loopback only, ports chosen by the kernel, no policy-server (the proxy is ready without one).
#   bench/startup.sh [runs, default 5]
# PROXY_JVM replaces the recommended options, as in bench/dataplane.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
source bench/build.sh
JVM=${PROXY_JVM:-$(java -cp "$BENCH_CP" dev.portolan.bench.DataPlaneBenchmark --proxy-jvm)}
# A cache replaces -Xshare:off (which turns off the JDK's default class archive, and any cache).
AOT_JVM=${JVM//-Xshare:off/}
# An AOT cache takes jars only (no class directories), as an image would ship them.
CP="data-plane/target/portolan-data-plane.jar:$(proxy_dependencies)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PORTOLAN_BIND_ADDRESS=127.0.0.1 PORTOLAN_INBOUND_PORT=0 PORTOLAN_OUTBOUND_PORT=0 \
  PORTOLAN_ADMIN_PORT=0 PORTOLAN_POLICY_SERVER=127.0.0.1:1

# proxy <jvm options> <argument>: runs the proxy to its end, output to standard output.
proxy() {
  # shellcheck disable=SC2086
  java --enable-native-access=ALL-UNNAMED $1 -cp "$CP" dev.portolan.proxy.ProxyMain "$2" 2>&1
}

# One start: milliseconds to the ready line, and VmRSS at that moment; then the proxy is stopped.
start() {
  local t0 t1 line rss
  t0=$(date +%s%N)
  # shellcheck disable=SC2086
  coproc PROXY { exec java --enable-native-access=ALL-UNNAMED $1 -cp "$CP" \
    dev.portolan.proxy.ProxyMain 2>&1; }
  local pid=$PROXY_PID
  while IFS= read -r line <&"${PROXY[0]}"; do
    [[ $line == *"portolan-proxy ready"* ]] && break
  done
  t1=$(date +%s%N)
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  kill "$pid"
  wait "$pid" || true
  echo "$(((t1 - t0) / 1000000)) ms (VmRSS $rss kB)"
}

# The first exchange of each kind in a training run, in milliseconds.
firsts() {
  proxy "$1" --train | awk '/portolan-proxy training/ {
    gsub(",", ""); printf "HTTP/1.1 %.1f, HTTP/2 %.1f, TCP %.1f ms", $(NF-4)/1000, $(NF-3)/1000, $(NF-1)/1000 }'
}

for what in exit-when-ready train; do
  proxy "$AOT_JVM -XX:AOTCacheOutput=$work/$what.aot" "--$what" > "$work/$what.out" ||
    { cat "$work/$what.out"; exit 1; }
  [ -s "$work/$what.aot" ] || { cat "$work/$what.out"; exit 1; }
done

echo "machine: $(nproc) cores, $(uname -sr), $(java -version 2>&1 | head -1)"
echo "proxy options: $JVM"
echo "with a cache: -Xshare:off dropped, -XX:AOTCache=<file> added"
echo "caches: $(du -k "$work/exit-when-ready.aot" | cut -f1) kB recorded from a start," \
  "$(du -k "$work/train.aot" | cut -f1) kB from a training run"
# Alternated, so that a busier moment of the host falls on every variant.
for r in $(seq "$RUNS"); do
  echo "start $r: ready in $(start "$JVM"); start cache $(start "$AOT_JVM -XX:AOTCache=$work/exit-when-ready.aot");" \
    "training cache $(start "$AOT_JVM -XX:AOTCache=$work/train.aot")"
done
for r in $(seq "$RUNS"); do
  echo "first exchanges $r: $(firsts "$JVM"); with the start cache $(firsts "$AOT_JVM -XX:AOTCache=$work/exit-when-ready.aot");" \
    "with the training cache $(firsts "$AOT_JVM -XX:AOTCache=$work/train.aot")"
done
