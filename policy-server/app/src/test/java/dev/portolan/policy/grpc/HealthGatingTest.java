package dev.portolan.policy.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.policy.config.PortolanProperties;
import dev.portolan.policy.explain.Explainer;
import dev.portolan.policy.index.Index;
import dev.portolan.policy.metrics.PortolanMetrics;
import dev.portolan.policy.metrics.StreamRegistry;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.networkpolicy.NetworkPolicyConflicts;
import dev.portolan.policy.resolve.Resolver;
import dev.portolan.policy.source.SyncState;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** gRPC health is NOT_SERVING until every source has synced, then SERVING. */
class HealthGatingTest {
  @Test
  void health_follows_source_sync() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Index index = new Index(new Resolver(MeshSettings.defaults()));
    SyncState sync = new SyncState();
    sync.register("cluster");
    PortolanProperties props =
        new PortolanProperties(
            "manifests",
            new PortolanProperties.Manifests(Path.of("examples"), Duration.ofMillis(100)),
            new PortolanProperties.Grpc(0),
            MeshSettings.DEFAULT_OPAQUE_PORTS,
            "cluster.local",
            "cluster.local",
            "portolan",
            4143,
            4191,
            Duration.ofSeconds(10));
    GrpcServer server =
        new GrpcServer(
            props,
            index,
            MeshSettings.defaults(),
            sync,
            new PortolanMetrics(registry),
            new StreamRegistry(),
            new Explainer(index, new NetworkPolicyConflicts(index.resolver(), false, registry)));
    server.start();
    ManagedChannel ch =
        ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    try {
      var health = HealthGrpc.newBlockingStub(ch);
      HealthCheckRequest all = HealthCheckRequest.getDefaultInstance();
      HealthCheckRequest destination =
          HealthCheckRequest.newBuilder()
              .setService("io.linkerd.proxy.destination.Destination")
              .build();
      assertThat(health.check(all).getStatus()).isEqualTo(ServingStatus.NOT_SERVING);
      assertThat(health.check(destination).getStatus()).isEqualTo(ServingStatus.NOT_SERVING);

      sync.markSynced("cluster");

      await().until(() -> health.check(all).getStatus() == ServingStatus.SERVING);
      assertThat(health.check(destination).getStatus()).isEqualTo(ServingStatus.SERVING);
    } finally {
      ch.shutdownNow();
      server.stop();
      index.close();
    }
  }
}
