# Sourced by the bench scripts from the project's root: a JDK 25, the modules built and installed,
# and BENCH_CP, the benchmark jar's classpath.
if ! java -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])'; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 PATH=/usr/lib/jvm/temurin-25-jdk-amd64/bin:$PATH
fi
./mvnw -q -pl bench -am install -DskipTests -Dspotless.check.skip=true
./mvnw -q -pl bench dependency:build-classpath -Dmdep.outputFile="$PWD/bench/target/bench.classpath"
BENCH_CP="bench/target/portolan-bench-0.1.0-SNAPSHOT.jar:$(cat bench/target/bench.classpath)"

# The proxy's own runtime dependencies, as deployed (not the test bed's): written once per run.
proxy_dependencies() {
  ./mvnw -q -pl data-plane dependency:build-classpath -DincludeScope=runtime \
    -Dmdep.outputFile="$PWD/bench/target/proxy.classpath"
  cat bench/target/proxy.classpath
}
