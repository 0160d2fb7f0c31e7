package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import org.junit.jupiter.api.Test;

/**
 * {@code skip-inbound-ports: 6380} on a meshed redis pod running two redis-servers: traffic to 6380
 * reaches redis without its proxy (proxy-init's rule returns it before the redirect,
 * docs/design/interception.md), so the proxy's metrics never name 6380, while the control on 6379
 * is counted. The client has no proxy: only the server's interception is under test.
 */
class SkipInboundPortsVisibleTest {
  static final String REDIS_IP = "10.244.77.81";

  @Test
  void skipped_inbound_port_bypasses_the_proxy_and_the_control_port_does_not() throws Exception {
    Sh.assumeRootWith("redis-server", "redis-benchmark");
    try (TestBed bed =
        new TestBed()
            .pod("client", "10.244.77.80", false, "", "")
            .pod(
                "redis",
                REDIS_IP,
                true,
                "config.linkerd.io/skip-inbound-ports: \"6380\"",
                "{name: redis, containerPort: 6379}, {name: skipped, containerPort: 6380}")
            .start()) {
      Redis.server(bed, "redis", 6379);
      Redis.server(bed, "redis", 6380);
      Redis.benchmark(bed, "client", REDIS_IP, 6380, 1000);
      Redis.benchmark(bed, "client", REDIS_IP, 6379, 1000);

      String redis = bed.pod("redis").metrics();
      System.out.println(redis);
      assertThat(redis)
          .contains(
              "tcp_open_total{direction=\"inbound\",target_addr=\""
                  + REDIS_IP
                  + ":6379\",peer=\"src\",tls=\"disabled\"}")
          .doesNotContain(":6380");
    }
  }
}
