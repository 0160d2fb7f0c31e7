package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * redis-benchmark from a meshed client pod to a meshed redis pod, through both proxies: once to the
 * Service's cluster IP (only the client proxy's resolution makes it reachable: there is no
 * kube-proxy) and once to the pod IP. 6379 is a default opaque port: detection is skipped. Runs
 * once per socket transport of the proxies (io_uring, the default where the kernel offers it, and
 * epoll, the fallback), each proven by the proxies' {@code proxy_info} metric.
 */
class RedisThroughTheMeshTest {
  static final String REDIS_IP = "10.244.77.11";
  static final String CLUSTER_IP = "10.96.77.10";

  @ParameterizedTest(name = "PORTOLAN_TRANSPORT={0}")
  @ValueSource(strings = {"io_uring", "epoll"})
  void redis_benchmark_through_the_mesh_by_cluster_ip_and_pod_ip(String transport)
      throws Exception {
    Sh.assumeRootWith("redis-server", "redis-benchmark");
    try (TestBed bed =
        new TestBed()
            .proxyEnv(java.util.Map.of("PORTOLAN_TRANSPORT", transport))
            .pod("client", "10.244.77.10", true, "", "")
            .pod("redis", REDIS_IP, true, "", "{name: redis, containerPort: 6379}")
            .service("redis", "redis", CLUSTER_IP, 6379, 6379)
            .start()) {
      Redis.server(bed, "redis", 6379);

      for (String host : new String[] {CLUSTER_IP, REDIS_IP}) {
        Redis.benchmark(bed, "client", host, 6379, 2000);
      }

      String client = bed.pod("client").metrics();
      assertThat(client)
          .contains(
              "tcp_open_total{direction=\"outbound\",target_addr=\""
                  + CLUSTER_IP
                  + ":6379\",peer=\"src\",tls=\"disabled\"}")
          .contains(
              "tcp_open_total{direction=\"outbound\",target_addr=\""
                  + REDIS_IP
                  + ":6379\",peer=\"src\",tls=\"disabled\"}")
          .doesNotContain("outbound_tcp_detect_results_total")
          .contains("proxy_info{transport=\"" + transport + "\"");
      System.out.println(client);
      String redis = bed.pod("redis").metrics();
      assertThat(redis)
          .contains(
              "tcp_open_total{direction=\"inbound\",target_addr=\""
                  + REDIS_IP
                  + ":6379\",peer=\"src\",tls=\"disabled\"}")
          .doesNotContain("inbound_tcp_detect_results_total")
          .contains("proxy_info{transport=\"" + transport + "\"");
    }
  }
}
