package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import org.junit.jupiter.api.Test;

/** {@code skip-outbound-ports: 6379} on the client: redis bypasses its proxy and still works. */
class SkipOutboundPortsTest {
  @Test
  void skipped_outbound_port_bypasses_the_client_proxy() throws Exception {
    Sh.assumeRootWith("redis-server", "redis-benchmark");
    try (TestBed bed =
        new TestBed()
            .pod(
                "client",
                "10.244.77.20",
                true,
                "config.linkerd.io/skip-outbound-ports: \"6379\"",
                "")
            .pod("redis", "10.244.77.21", true, "", "{name: redis, containerPort: 6379}")
            .start()) {
      Redis.server(bed, "redis", 6379);
      Redis.benchmark(bed, "client", "10.244.77.21", 6379, 1000);

      assertThat(bed.pod("client").metrics()).doesNotContain(":6379");
      // The server side still has its proxy: the bypass is the client's choice alone.
      assertThat(bed.pod("redis").metrics())
          .contains(
              "tcp_open_total{direction=\"inbound\",target_addr=\"10.244.77.21:6379\",peer=\"src\",tls=\"disabled\"}");
    }
  }
}
