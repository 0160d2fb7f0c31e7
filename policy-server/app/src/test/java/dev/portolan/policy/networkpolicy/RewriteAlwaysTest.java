package dev.portolan.policy.networkpolicy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.api.destination.DestinationGrpc;
import dev.portolan.api.destination.GetDestination;
import dev.portolan.policy.Fleet;
import dev.portolan.policy.ManifestDir;
import dev.portolan.policy.grpc.GrpcServer;
import dev.portolan.policy.index.Index;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * {@code portolan.network-policy.rewrite=always} is Linkerd's behaviour, kept for comparison: the
 * Redis shape's client is told to rewrite to 4143 (which its policy black-holes), and nothing is
 * reported.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {"portolan.grpc.port=0", "portolan.network-policy.rewrite=always"})
class RewriteAlwaysTest {
  static final ManifestDir DIR = new ManifestDir("portolan-netpol-always");

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("portolan.manifests.dir", () -> DIR.path().toString());
  }

  @Autowired GrpcServer grpc;
  @Autowired Index index;
  @Autowired NetworkPolicyConflicts conflicts;
  ManagedChannel channel;

  @AfterEach
  void close() {
    if (channel != null) {
      channel.shutdownNow();
    }
  }

  @Test
  void always_rewrites_for_the_client_the_policy_lets_in_on_6379_only() throws Exception {
    DIR.write("ns.yaml", Manifests.namespace("cache"))
        .write("redis.yaml", Manifests.pod("cache", "redis-0", "redis", "10.78.0.10"))
        .write("svc.yaml", Manifests.redisService("cache", "10.96.78.10"))
        .write("client.yaml", Manifests.pod("cache", "client-0", "client", "10.78.0.20"))
        .write("policy.yaml", Manifests.redisPolicy("cache"));
    await()
        .until(() ->
            !index.snapshot().networkPolicies().isEmpty()
                && index.snapshot().pod("cache", "client-0") != null);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
    Addresses client = new Addresses();
    DestinationGrpc.newStub(channel)
        .get(
            GetDestination.newBuilder()
                .setPath("redis.cache.svc.cluster.local:6379")
                .setContextToken(Fleet.token("cache", "client-0"))
                .build(),
            client);
    await().until(() -> client.get("10.78.0.10") != null);
    assertThat(client.rewritten("10.78.0.10")).isTrue();
    assertThat(conflicts.report().conflicts()).isEmpty();
  }
}
