package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The proxies' own connection to a policy-server running {@code portolan.grpc.tls=required}
 * (docs/identity.md): each proxy gets its certificate by Certify over TLS (it verifies the
 * policy-server's certificate against the trust anchor and its identity), then gets its discovery
 * answers over mTLS, which a request through a Service's cluster IP needs. Plaintext to the gRPC
 * port is refused.
 */
class ControlPlaneMtlsTest {
  static final String CLIENT_IP = "10.244.77.20";
  static final String REDIS_IP = "10.244.77.21";
  static final String CLUSTER_IP = "10.96.77.20";

  @Test
  void proxies_certify_and_discover_over_tls_against_a_required_policy_server() throws Exception {
    Sh.assumeRootWith("redis-server", "redis-cli", "curl");
    try (TestBed bed =
        new TestBed()
            .identity(true)
            .policyServerArgs("--portolan.grpc.tls=required")
            .proxyEnv(Map.of("PORTOLAN_IDENTITY", "tls"))
            .pod("client", CLIENT_IP, true, "", "")
            .pod("redis", REDIS_IP, true, "", "{name: redis, containerPort: 6379}")
            .service("redis", "redis", CLUSTER_IP, 6379, 6379)
            .start()) {
      Redis.server(bed, "redis", 6379);
      for (String pod : new String[] {"client", "redis"}) {
        assertThat(bed.pod(pod).run("curl", "-s", "http://127.0.0.1:4191/ready"))
            .as(pod + " is certified")
            .isEqualTo("ready\n");
      }
      // Through the cluster IP: only the Destination answer says where it goes.
      assertThat(bed.pod("client").run("redis-cli", "-h", CLUSTER_IP, "-p", "6379", "ping"))
          .isEqualTo("PONG\n");
      String metrics = bed.pod("client").run("curl", "-s", "http://127.0.0.1:4191/metrics");
      assertThat(metrics).contains("identity_info{mode=\"tls\"");
    }
  }
}
