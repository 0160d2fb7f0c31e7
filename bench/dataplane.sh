#!/usr/bin/env bash
# Data-plane benchmark in the network-namespace test bed (root; see bench/README.md).
#   bench/dataplane.sh [requests per redis run, default 200000]
#   bench/dataplane.sh --ab [rounds, default 3]   (one hop vs HAProxy on redis, alternating)
#     VARIANT_TREE=/tmp/old: a proxy built from that checkout runs beside this one's in --ab
#   bench/dataplane.sh --slowloris [requests per phase, default 300] [attacks, default 2]
#     ATTACK=n connections per attack (10000); BASELINE=haproxy: HAProxy in the proxy's place
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/build.sh
# The proxies run on their own runtime classpath, as deployed (not the test bed's).
PROXY_CLASSPATH="$PWD/data-plane/target/portolan-data-plane.jar:$(proxy_dependencies)"
export PROXY_CLASSPATH
if [ "${1:-}" = "--ab" ] && [ -n "${VARIANT_TREE:-}" ]; then
  # Another commit's proxy as --ab's variant: its data-plane jar and runtime dependencies, built
  # in its own reactor (package, not install: its modules must not replace this tree's in ~/.m2,
  # and its own portolan-core/proto jars are the ones its proxy was written against).
  VT="$(cd "$VARIANT_TREE" && pwd)"
  if [ ! -f "$VT/data-plane/target/portolan-data-plane.jar" ] || [ ! -s "$VT/variant.classpath" ]; then
    echo "building the variant proxy in $VT"
    (cd "$VT" && ./mvnw -B -q -ntp -pl data-plane -am package dependency:build-classpath \
      -DincludeScope=runtime -Dmdep.outputFile="$VT/variant.classpath" \
      -Dmaven.test.skip=true -Dspotless.check.skip=true)
  fi
  VARIANT_CLASSPATH="$VT/data-plane/target/portolan-data-plane.jar:$(cat "$VT/variant.classpath")"
  VARIANT_COMMIT="$(git -C "$VT" rev-parse --short HEAD)"
  export VARIANT_CLASSPATH VARIANT_COMMIT
fi
if [ "${1:-}" = "--slowloris" ]; then
  # Its server proxy runs as the image launches it: the test bed's DeployedProxy reads the
  # launcher's options from data-plane/Dockerfile, relative to the working directory.
  CP="$(echo "$BENCH_CP" | sed "s|^bench/|$PWD/bench/|")"
  cd data-plane
  exec java -cp "$CP" dev.portolan.bench.DataPlaneBenchmark "$@"
fi
exec java -cp "$BENCH_CP" \
  dev.portolan.bench.DataPlaneBenchmark "$@"
