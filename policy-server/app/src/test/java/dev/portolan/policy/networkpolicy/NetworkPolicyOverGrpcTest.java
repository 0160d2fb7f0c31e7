package dev.portolan.policy.networkpolicy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.api.destination.DestinationGrpc;
import dev.portolan.api.destination.DestinationProfile;
import dev.portolan.api.destination.GetDestination;
import dev.portolan.api.v1.DiagnosticsGrpc;
import dev.portolan.api.v1.ExplainRequest;
import dev.portolan.api.v1.ExplainResponse;
import dev.portolan.policy.Fleet;
import dev.portolan.policy.ManifestDir;
import dev.portolan.policy.Recorder;
import dev.portolan.policy.grpc.GrpcServer;
import dev.portolan.policy.index.Index;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The NetworkPolicy-aware rewrite end to end (docs/networkpolicy.md): manifests in, real gRPC
 * streams out. The Redis chart's policy lets {@code app=client} reach 6379 only: such clients keep
 * mTLS on 6379 (no opaque_transport, the TLS identity stays), the conflict is reported with a
 * patch, and applying the patch switches the open stream to the inbound port.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {"portolan.grpc.port=0"})
class NetworkPolicyOverGrpcTest {
  static final ManifestDir DIR = new ManifestDir("portolan-netpol");
  static final KubernetesSerialization YAML = new KubernetesSerialization();
  static final String REDIS = "10.77.0.10";

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("portolan.manifests.dir", () -> DIR.path().toString());
  }

  @Autowired GrpcServer grpc;
  @Autowired Index index;
  @Autowired NetworkPolicyConflicts conflicts;
  @Autowired NetworkPolicyEndpoint endpoint;
  @Autowired MeterRegistry registry;
  ManagedChannel channel;
  DestinationGrpc.DestinationStub stub;

  @BeforeEach
  void open() {
    channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
    stub = DestinationGrpc.newStub(channel);
  }

  @AfterEach
  void close() {
    channel.shutdownNow();
  }

  /** The Redis shape in namespace {@code ns}, with Redis at 10.77.{block}.10. */
  void redis(String ns, int block) {
    DIR.write(ns + "-ns.yaml", Manifests.namespace(ns))
        .write(ns + "-redis.yaml", Manifests.pod(ns, "redis-0", "redis", "10.77." + block + ".10"))
        .write(ns + "-svc.yaml", Manifests.redisService(ns, "10.96." + block + ".10"))
        .write(ns + "-c0.yaml", Manifests.pod(ns, "client-0", "client", "10.77." + block + ".20"))
        .write(ns + "-c1.yaml", Manifests.pod(ns, "client-1", "client", "10.77." + block + ".21"))
        .write(ns + "-o0.yaml", Manifests.pod(ns, "other-0", "other", "10.77." + block + ".30"));
    await().until(() -> index.snapshot().pod(ns, "other-0") != null);
  }

  Addresses get(String ns, String token) {
    Addresses a = new Addresses();
    stub.get(
        GetDestination.newBuilder()
            .setPath("redis." + ns + ".svc.cluster.local:6379")
            .setContextToken(token)
            .build(),
        a);
    return a;
  }

  List<Conflict> inNamespace(String ns) throws InterruptedException {
    // The report is computed in the background: ask for the one at the latest snapshot.
    return conflicts.current(Duration.ofSeconds(10)).conflicts().stream()
        .filter(c -> c.policy().namespace().equals(ns))
        .toList();
  }

  double unknown(String reason) {
    var c = registry.find("portolan.networkpolicy.unknown.clients").tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void the_redis_shape_keeps_mtls_on_6379_and_the_patch_switches_the_open_stream()
      throws Exception {
    redis("cache", 0);
    DIR.write("cache-policy.yaml", Manifests.redisPolicy("cache"));
    await().until(() -> !index.snapshot().networkPolicies().isEmpty());

    Addresses client = get("cache", Fleet.token("cache", "client-0"));
    Addresses other = get("cache", Fleet.token("cache", "other-0"));
    await().until(() -> client.get(REDIS) != null && other.get(REDIS) != null);
    assertThat(client.keptOnAppPortWithMtls(REDIS)).as("allowed 6379 only: mTLS on 6379").isTrue();
    // Neither port allowed: the user isolated Redis from it, the rewrite changes nothing.
    assertThat(other.rewritten(REDIS)).isTrue();

    // The pod-IP profile says the same.
    Recorder<DestinationProfile> profile = new Recorder<>();
    stub.getProfile(
        GetDestination.newBuilder()
            .setPath(REDIS + ":6379")
            .setContextToken(Fleet.token("cache", "client-1"))
            .build(),
        profile);
    await().until(() -> profile.last() != null);
    assertThat(profile.last().getEndpoint().getProtocolHint().hasOpaqueTransport()).isFalse();
    assertThat(profile.last().getEndpoint().hasTlsIdentity()).isTrue();

    // The conflict: on the actuator, as a metric, in Explain.
    List<Conflict> found = inNamespace("cache");
    assertThat(found).hasSize(1);
    Conflict c = found.getFirst();
    assertThat(c.policy().name()).isEqualTo("redis");
    assertThat(c.direction()).isEqualTo("ingress");
    assertThat(c.server().name()).isEqualTo("redis-0");
    assertThat(c.port()).isEqualTo(6379);
    assertThat(c.inboundPort()).isEqualTo(4143);
    assertThat(c.clients()).containsExactly("cache/client-0", "cache/client-1");
    assertThat(c.reason()).contains("cache/redis ingress[0]", "4143", "6379");
    @SuppressWarnings("unchecked")
    var json = (List<Map<String, Object>>) endpoint.report().get("conflicts");
    assertThat(json).anySatisfy(m -> assertThat(m.get("patch")).isEqualTo(c.patch()));
    double gauge = registry.get("portolan.networkpolicy.conflicts").gauge().value();
    assertThat(gauge).isEqualTo(conflicts.report().conflicts().size()).isPositive();
    ExplainResponse explained =
        DiagnosticsGrpc.newBlockingStub(channel)
            .explain(
                ExplainRequest.newBuilder()
                    .setNamespace("cache")
                    .setKind("pod")
                    .setName("redis-0")
                    .build());
    assertThat(explained.getPortsList())
        .filteredOn(p -> p.getPort() == 6379)
        .singleElement()
        .satisfies(p -> {
          assertThat(p.getNetworkPolicyConflictsCount()).isEqualTo(1);
          assertThat(p.getNetworkPolicyConflicts(0).getPatch()).isEqualTo(c.patch());
          // Who the policy lets reach 6379, as the server proxy enforces it (also via 4143).
          assertThat(p.getAuthorization().getNetworkPoliciesList())
              .singleElement()
              .satisfies(n -> {
                assertThat(n.getPolicy().getKind()).isEqualTo("NetworkPolicy");
                assertThat(n.getPolicy().getNamespace()).isEqualTo("cache");
                assertThat(n.getPolicy().getName()).isEqualTo("redis");
                assertThat(n.getNetworksList())
                    .contains("10.77.0.20/32", "10.77.0.21/32")
                    .doesNotContain("10.77.0.30/32");
              });
        });

    // The patch is a manifest kubectl apply takes: the same policy, 4143 added to the rule.
    NetworkPolicy patched = YAML.unmarshal(c.patch(), NetworkPolicy.class);
    assertThat(patched.getMetadata().getNamespace()).isEqualTo("cache");
    assertThat(patched.getMetadata().getName()).isEqualTo("redis");
    assertThat(patched.getSpec().getIngress().getFirst().getPorts())
        .extracting(NetworkPolicyPort::getPort)
        .containsExactly(new IntOrString(6379), new IntOrString(4143));
    DIR.write("cache-policy.yaml", c.patch());
    await().atMost(Duration.ofSeconds(10)).until(() -> client.rewritten(REDIS));
    await().until(() -> inNamespace("cache").isEmpty());
    assertThat(registry.get("portolan.networkpolicy.conflicts").gauge().value())
        .isEqualTo(gauge - 1);
    assertThat(client.failure).isNull();
  }

  @Test
  void an_egress_policy_allowing_6379_but_not_4143_gets_no_rewrite() throws Exception {
    redis("egress", 1);
    DIR.write("egress-policy.yaml", Manifests.clientEgress("egress"));
    await()
        .until(() ->
            index.snapshot().networkPolicies().all().stream()
                .anyMatch(p -> p.namespace().equals("egress")));

    Addresses client = get("egress", Fleet.token("egress", "client-0"));
    Addresses other = get("egress", Fleet.token("egress", "other-0"));
    String redis = "10.77.1.10";
    await().until(() -> client.get(redis) != null && other.get(redis) != null);
    assertThat(client.keptOnAppPortWithMtls(redis)).isTrue();
    assertThat(other.rewritten(redis)).as("no egress policy selects it").isTrue();
    assertThat(conflicts.current(Duration.ofSeconds(10)).conflicts())
        .filteredOn(c -> c.policy().namespace().equals("egress"))
        .singleElement()
        .satisfies(c -> {
          assertThat(c.direction()).isEqualTo("egress");
          assertThat(c.policy().name()).isEqualTo("client-egress");
          NetworkPolicy patched = YAML.unmarshal(c.patch(), NetworkPolicy.class);
          assertThat(patched.getSpec().getEgress().getFirst().getPorts())
              .extracting(NetworkPolicyPort::getPort)
              .containsExactly(new IntOrString(6379), new IntOrString(4143));
        });
  }

  @Test
  void an_unknown_client_is_told_to_rewrite_and_counted() throws Exception {
    redis("unknown", 2);
    DIR.write("unknown-policy.yaml", Manifests.redisPolicy("unknown"));
    await()
        .until(() ->
            index.snapshot().networkPolicies().all().stream()
                .anyMatch(p -> p.namespace().equals("unknown")));
    double noToken = unknown("no-token");
    double unreadable = unknown("unreadable");
    double notFound = unknown("pod-not-found");

    Addresses none = get("unknown", "");
    Addresses garbage = get("unknown", "{not json");
    Addresses ghost = get("unknown", Fleet.token("unknown", "ghost-0"));
    String redis = "10.77.2.10";
    await()
        .until(() ->
            none.get(redis) != null && garbage.get(redis) != null && ghost.get(redis) != null);
    assertThat(none.rewritten(redis)).isTrue();
    assertThat(garbage.rewritten(redis)).isTrue();
    assertThat(ghost.rewritten(redis)).isTrue();
    assertThat(unknown("no-token")).isEqualTo(noToken + 1);
    assertThat(unknown("unreadable")).isEqualTo(unreadable + 1);
    assertThat(unknown("pod-not-found")).isEqualTo(notFound + 1);
  }
}
