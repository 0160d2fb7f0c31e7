#!/usr/bin/env bash
# Data-plane benchmark in the network-namespace test bed (root; see bench/README.md).
#   bench/dataplane.sh [requests per redis run, default 200000]
#   bench/dataplane.sh --ab [rounds, default 3]   (one hop vs HAProxy on redis, alternating)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! java -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])'; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 PATH=/usr/lib/jvm/temurin-25-jdk-amd64/bin:$PATH
fi
./mvnw -q -pl bench -am install -DskipTests -Dspotless.check.skip=true
./mvnw -q -pl bench dependency:build-classpath -Dmdep.outputFile="$PWD/bench/target/bench.classpath"
# The proxies run on their own runtime classpath, as deployed (not the test bed's).
./mvnw -q -pl data-plane dependency:build-classpath -DincludeScope=runtime \
  -Dmdep.outputFile="$PWD/bench/target/proxy.classpath"
export PROXY_CLASSPATH="$PWD/data-plane/target/portolan-data-plane.jar:$(cat bench/target/proxy.classpath)"
exec java -cp "bench/target/portolan-bench-0.1.0-SNAPSHOT.jar:$(cat bench/target/bench.classpath)" \
  dev.portolan.bench.DataPlaneBenchmark "$@"
