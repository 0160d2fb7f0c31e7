#!/usr/bin/env bash
# Data-plane benchmark in the network-namespace test bed (root; see bench/README.md).
#   bench/dataplane.sh [requests per redis run, default 200000]
#   bench/dataplane.sh --ab [rounds, default 3]   (one hop vs HAProxy on redis, alternating)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/build.sh
# The proxies run on their own runtime classpath, as deployed (not the test bed's).
PROXY_CLASSPATH="$PWD/data-plane/target/portolan-data-plane.jar:$(proxy_dependencies)"
export PROXY_CLASSPATH
exec java -cp "$BENCH_CP" \
  dev.portolan.bench.DataPlaneBenchmark "$@"
