#!/usr/bin/env bash
# The proxy's start-up: time from launch to its ready line, and its RSS then, with the recommended
# JVM options, without and with a JDK AOT cache recorded from one start (ProxyMain
# --exit-when-ready; docs/proxy.md, "Start-up"). No root, no test bed: loopback only, ports chosen
# by the kernel, no policy-server (the proxy is ready without one).
#   bench/startup.sh [runs, default 5]
# PROXY_JVM replaces the recommended options, as in bench/dataplane.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
source bench/build.sh
JVM=${PROXY_JVM:-$(java -cp "$BENCH_CP" dev.portolan.bench.DataPlaneBenchmark --proxy-jvm)}
# The cache replaces -Xshare:off (which turns off the JDK's default class archive, and any cache).
AOT_JVM=${JVM//-Xshare:off/}
# An AOT cache takes jars only (no class directories), as an image would ship them.
CP="data-plane/target/portolan-data-plane.jar:$(proxy_dependencies)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PORTOLAN_BIND_ADDRESS=127.0.0.1 PORTOLAN_INBOUND_PORT=0 PORTOLAN_OUTBOUND_PORT=0 \
  PORTOLAN_ADMIN_PORT=0 PORTOLAN_POLICY_SERVER=127.0.0.1:1

# One start: milliseconds to the ready line, and VmRSS at that moment; then the proxy is stopped.
start() {
  local jvm=$1 t0 t1 line rss
  shift
  t0=$(date +%s%N)
  # shellcheck disable=SC2086
  coproc PROXY { exec java --enable-native-access=ALL-UNNAMED $jvm "$@" -cp "$CP" \
    dev.portolan.proxy.ProxyMain 2>&1; }
  local pid=$PROXY_PID
  while IFS= read -r line <&"${PROXY[0]}"; do
    [[ $line == *"portolan-proxy ready"* ]] && break
  done
  t1=$(date +%s%N)
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  kill "$pid"
  wait "$pid" || true
  echo "$(((t1 - t0) / 1000000)) $rss"
}

# shellcheck disable=SC2086
java --enable-native-access=ALL-UNNAMED $AOT_JVM -XX:AOTCacheOutput="$work/proxy.aot" -cp "$CP" \
  dev.portolan.proxy.ProxyMain --exit-when-ready > "$work/training.out" 2>&1 ||
  { cat "$work/training.out"; exit 1; }
[ -s "$work/proxy.aot" ] || { cat "$work/training.out"; exit 1; }

echo "machine: $(nproc) cores, $(uname -sr), $(java -version 2>&1 | head -1)"
echo "proxy options: $JVM"
echo "with the cache: -Xshare:off dropped, -XX:AOTCache=<file> added"
echo "AOT cache: $(du -k "$work/proxy.aot" | cut -f1) kB, recorded from one start"
# Alternated, so that a busier moment of the host falls on both.
for r in $(seq "$RUNS"); do
  read -r ms rss < <(start "$JVM")
  read -r aot_ms aot_rss < <(start "$AOT_JVM" -XX:AOTCache="$work/proxy.aot")
  echo "run $r: ready in $ms ms (VmRSS $rss kB); with the AOT cache $aot_ms ms (VmRSS $aot_rss kB)"
done
