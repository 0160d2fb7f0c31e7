#!/usr/bin/env bash
# Control-plane benchmark: propagation latency and load (see bench/README.md).
#   bench/propagation.sh [one-destination|many-destinations|big-destination|stalled|restart|
#                         networkpolicy-edit|load|kubernetes ...]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/build.sh
exec java -Xmx1g -cp "$BENCH_CP" \
  dev.portolan.bench.PropagationBenchmark "$@"
