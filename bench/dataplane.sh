#!/usr/bin/env bash
# Data-plane benchmark in the network-namespace test bed (root; see bench/README.md).
#   bench/dataplane.sh [requests per redis run, default 200000]
#   bench/dataplane.sh --ab [rounds, default 3]   (one hop vs HAProxy on redis, alternating)
#   bench/dataplane.sh --slowloris [requests per phase, default 300] [attacks, default 2]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/build.sh
# The proxies run on their own runtime classpath, as deployed (not the test bed's).
PROXY_CLASSPATH="$PWD/data-plane/target/portolan-data-plane.jar:$(proxy_dependencies)"
export PROXY_CLASSPATH
if [ "${1:-}" = "--slowloris" ]; then
  # Its server proxy runs as the image launches it: the test bed's DeployedProxy reads the
  # launcher's options from data-plane/Dockerfile, relative to the working directory.
  CP="$(echo "$BENCH_CP" | sed "s|^bench/|$PWD/bench/|")"
  cd data-plane
  exec java -cp "$CP" dev.portolan.bench.DataPlaneBenchmark "$@"
fi
exec java -cp "$BENCH_CP" \
  dev.portolan.bench.DataPlaneBenchmark "$@"
