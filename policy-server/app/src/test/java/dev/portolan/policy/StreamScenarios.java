package dev.portolan.policy;

import static dev.portolan.policy.Yaml.docs;
import static dev.portolan.policy.Yaml.namespace;
import static dev.portolan.policy.Yaml.pod;
import static dev.portolan.policy.Yaml.server;
import static dev.portolan.policy.Yaml.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.api.destination.DestinationGrpc;
import dev.portolan.api.destination.DestinationProfile;
import dev.portolan.api.destination.GetDestination;
import dev.portolan.api.destination.ProtocolHint;
import dev.portolan.api.destination.Update;
import dev.portolan.api.destination.WeightedAddr;
import dev.portolan.api.inbound.InboundServerPoliciesGrpc;
import dev.portolan.api.inbound.PortSpec;
import dev.portolan.api.inbound.Server;
import dev.portolan.policy.grpc.GrpcServer;
import dev.portolan.policy.index.Index;
import dev.portolan.policy.index.Snapshot;
import dev.portolan.policy.model.Resource;
import dev.portolan.policy.source.KubeObjects;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Stream semantics (docs/design/streams.md) over a real gRPC port: one scenario suite, run once per
 * source (manifests directory, Kubernetes API through fabric8), which must give the same messages.
 */
abstract class StreamScenarios {
  /** Seeds the objects every scenario starts from. */
  static void seed(ClusterDriver cluster) {
    cluster.write("00-ns.yaml", docs(namespace("apps", null), namespace("mail", "2525")));
    cluster.write(
        "10-empty.yaml", service("apps", "empty", "nothing-matches", "10.96.5.1", 80, "8080"));
    cluster.write(
        "20-smtp.yaml",
        docs(
            pod("mail", "smtp-0", "smtp", "10.42.5.10", "smtp", 2525),
            service("mail", "smtp", "smtp", "10.96.5.10", 25, "smtp")));
  }

  /** Where a scenario writes its objects. */
  abstract ClusterDriver cluster();

  @Autowired GrpcServer grpc;
  @Autowired Index index;
  ManagedChannel channel;
  DestinationGrpc.DestinationStub destination;
  InboundServerPoliciesGrpc.InboundServerPoliciesStub inbound;

  @BeforeEach
  void connect() {
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
    destination = DestinationGrpc.newStub(channel);
    inbound = InboundServerPoliciesGrpc.newStub(channel);
  }

  @AfterEach
  void close() {
    channel.shutdownNow();
  }

  private Recorder<Update> get(String path) {
    Recorder<Update> r = new Recorder<>();
    destination.get(GetDestination.newBuilder().setScheme("k8s").setPath(path).build(), r);
    return r;
  }

  private Recorder<DestinationProfile> profile(String path) {
    Recorder<DestinationProfile> r = new Recorder<>();
    destination.getProfile(GetDestination.newBuilder().setScheme("k8s").setPath(path).build(), r);
    return r;
  }

  @Test
  void existing_service_without_endpoints_first_sends_no_endpoints_exists_true() {
    Recorder<Update> r = get("empty.apps.svc.cluster.local:80");
    await().until(() -> r.size() == 1);
    assertThat(r.last().getNoEndpoints().getExists()).isTrue();
  }

  @Test
  void unknown_service_first_sends_no_endpoints_false_then_add_when_it_appears() {
    Recorder<Update> r = get("later.apps.svc.cluster.local:8080");
    await().until(() -> r.size() == 1);
    assertThat(r.last().hasNoEndpoints()).isTrue();
    assertThat(r.last().getNoEndpoints().getExists()).isFalse();

    cluster()
        .write(
            "30-later.yaml",
            docs(
                pod("apps", "later-0", "later", "10.42.5.30", "http", 8080),
                service("apps", "later", "later", "10.96.5.30", 8080, "http")));

    await().until(() -> r.last().hasAdd());
    WeightedAddr addr = r.last().getAdd().getAddrs(0);
    assertThat(addr.getAddr().getIp().getIpv4()).isEqualTo(ipv4(10, 42, 5, 30));
    assertThat(addr.getAddr().getPort()).isEqualTo(8080);
    assertThat(addr.getProtocolHint().hasH2()).isTrue();
    assertThat(addr.getTlsIdentity().getDnsLikeIdentity().getName())
        .isEqualTo("later.apps.serviceaccount.identity.portolan.cluster.local");
    assertThat(r.last().getAdd().getMetricLabelsMap())
        .containsEntry("namespace", "apps")
        .containsEntry("service", "later");
  }

  @Test
  void server_selector_change_clears_opacity_on_get_and_on_pod_ip_profile() {
    String db =
        docs(
            pod("apps", "db-0", "db", "10.42.5.40", "tcp", 7000),
            service("apps", "db", "db", "10.96.5.40", 7000, "7000"));
    cluster().write("40-db.yaml", docs(db, server("apps", "db-opaque", "db", "7000", "opaque")));
    Recorder<Update> get = get("db.apps.svc.cluster.local:7000");
    await().until(() -> get.last() != null && get.last().hasAdd() && hint(get.last()).hasOpaque());
    assertThat(hint(get.last()).getOpaqueTransport().getInboundPort()).isEqualTo(4143);
    Recorder<DestinationProfile> prof = profile("10.42.5.40:7000");
    await().until(() -> prof.last() != null && prof.last().getOpaqueProtocol());
    assertThat(prof.last().getEndpoint().getProtocolHint().hasOpaqueTransport()).isTrue();

    cluster()
        .write("40-db.yaml", docs(db, server("apps", "db-opaque", "db-other", "7000", "opaque")));

    await().until(() -> hint(get.last()).hasH2());
    assertThat(hint(get.last()).hasOpaqueTransport()).isFalse();
    await().until(() -> !prof.last().getOpaqueProtocol());

    cluster().write("40-db.yaml", docs(db, server("apps", "db-opaque", "db", "7000", "opaque")));
    await().until(() -> hint(get.last()).hasOpaque());
    await().until(() -> prof.last().getOpaqueProtocol());
    // Each value was sent once: no duplicates for unchanged answers.
    assertThat(prof.values())
        .extracting(DestinationProfile::getOpaqueProtocol)
        .containsExactly(true, false, true);
  }

  @Test
  void namespace_annotation_edit_reaches_an_open_watch_port() {
    Recorder<Server> r = new Recorder<>();
    inbound.watchPort(
        PortSpec.newBuilder()
            .setWorkload("{\"ns\":\"mail\",\"pod\":\"smtp-0\"}")
            .setPort(2525)
            .build(),
        r);
    await().until(() -> r.size() == 1);
    assertThat(r.last().getProtocol().hasOpaque()).isTrue();
    assertThat(r.last().getLabelsMap()).containsEntry("kind", "default");

    cluster().write("00-ns.yaml", docs(namespace("apps", null), namespace("mail", "9090")));

    await().until(() -> r.size() == 2);
    assertThat(r.last().getProtocol().hasDetect()).isTrue();
    assertThat(r.last().getProtocol().getDetect().getTimeout().getSeconds()).isEqualTo(10);
    cluster().write("00-ns.yaml", docs(namespace("apps", null), namespace("mail", "2525")));
    await().until(() -> r.size() == 3 && r.last().getProtocol().hasOpaque());
  }

  /**
   * The wire answer carries the default inbound policy as linkerd2-proxy-api's Authz, and a
   * Namespace edit of {@code config.linkerd.io/default-inbound-policy} reaches an open WatchPort.
   */
  @Test
  void default_inbound_policy_is_on_the_wire_and_follows_the_namespace() {
    Recorder<Server> r = new Recorder<>();
    inbound.watchPort(
        PortSpec.newBuilder()
            .setWorkload("{\"ns\":\"mail\",\"pod\":\"smtp-0\"}")
            .setPort(2525)
            .build(),
        r);
    await().until(() -> r.size() == 1);
    Server first = r.last();
    assertThat(first.getAuthorizationsList()).hasSize(1);
    var all = first.getAuthorizations(0);
    assertThat(all.getAuthentication().hasUnauthenticated()).isTrue();
    assertThat(all.getNetworksList())
        .extracting(n -> n.getNet().getPrefixLen(), n -> n.getNet().getIp().hasIpv6())
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(0, false),
            org.assertj.core.groups.Tuple.tuple(0, true));
    assertThat(all.getLabelsMap())
        .containsEntry("group", "")
        .containsEntry("kind", "default")
        .containsEntry("name", "all-unauthenticated");
    assertThat(all.getMetadata().getDefault()).isEqualTo("all-unauthenticated");

    String authenticated =
        namespace("mail", "2525")
            .replace(
                "  annotations:\n",
                "  annotations:\n    config.linkerd.io/default-inbound-policy: all-authenticated\n");
    cluster().write("00-ns.yaml", docs(namespace("apps", null), authenticated));
    await()
        .until(() ->
            r.last().getAuthorizationsCount() == 1
                && r.last().getAuthorizations(0).getAuthentication().hasMeshTLS());
    var mesh = r.last().getAuthorizations(0).getAuthentication().getMeshTLS();
    // One empty suffix: every verified identity, as Linkerd writes all-authenticated.
    assertThat(mesh.getIdentities().getSuffixesList())
        .singleElement()
        .satisfies(sfx -> assertThat(sfx.getPartsList()).isEmpty());
    assertThat(r.last().getAuthorizations(0).getLabelsMap())
        .containsEntry("name", "all-authenticated");

    String deny = authenticated.replace("all-authenticated", "deny");
    cluster().write("00-ns.yaml", docs(namespace("apps", null), deny));
    await().until(() -> r.last().getAuthorizationsCount() == 0);
    assertThat(r.last().getProtocol().hasOpaque()).isTrue();
    cluster().write("00-ns.yaml", docs(namespace("apps", null), namespace("mail", "2525")));
    await().until(() -> r.last().getAuthorizationsCount() == 1);
  }

  @Test
  void endpoint_that_becomes_not_ready_is_removed() {
    String ready = pod("apps", "flaky-0", "flaky", "10.42.5.50", "http", 8080);
    cluster()
        .write(
            "50-flaky.yaml",
            docs(ready, service("apps", "flaky", "flaky", "10.96.5.50", 80, "http")));
    Recorder<Update> r = get("flaky.apps.svc.cluster.local:80");
    await().until(() -> r.last() != null && r.last().hasAdd());

    cluster()
        .write(
            "50-flaky.yaml",
            docs(
                ready.replace("status: \"True\"", "status: \"False\""),
                service("apps", "flaky", "flaky", "10.96.5.50", 80, "http")));

    await().until(() -> r.values().stream().anyMatch(Update::hasRemove));
    Update remove = r.values().stream().filter(Update::hasRemove).findFirst().orElseThrow();
    assertThat(remove.getRemove().getAddrs(0).getIp().getIpv4()).isEqualTo(ipv4(10, 42, 5, 50));
    await().until(() -> r.last().hasNoEndpoints() && r.last().getNoEndpoints().getExists());
  }

  @Test
  void subscribers_of_one_destination_share_one_computation() {
    List<Recorder<Update>> many =
        List.of(
            get("empty.apps.svc.cluster.local:80"),
            get("empty.apps.svc.cluster.local:80"),
            get("empty.apps.svc.cluster.local:80"));
    await().atMost(Duration.ofSeconds(10)).until(() -> many.stream().allMatch(r -> r.size() == 1));
  }

  @ParameterizedTest(name = "{0}: {2} opaque={3}")
  @MethodSource("dev.portolan.policy.ScenarioTables#profiles")
  void profile_scenario_tables(String id, String objects, String path, boolean opaque) {
    if (!objects.isEmpty()) {
      cluster().write("case-" + id + ".yaml", objects);
      await().until(() -> loaded(objects));
    }
    Recorder<DestinationProfile> r = profile(path);
    await().until(() -> r.size() >= 1);
    assertThat(r.values().getFirst().getOpaqueProtocol()).isEqualTo(opaque);
  }

  @ParameterizedTest(name = "{0}: {2} hint={3}")
  @MethodSource("dev.portolan.policy.ScenarioTables#endpoints")
  void endpoint_scenario_tables(String id, String objects, String path, String expected) {
    cluster().write("case-" + id + ".yaml", objects);
    await().until(() -> loaded(objects));
    Recorder<Update> r = get(path);
    await()
        .until(() ->
            r.last() != null && r.last().hasAdd() && describe(hint(r.last())).equals(expected));
    WeightedAddr a = r.last().getAdd().getAddrs(0);
    assertThat(a.hasTlsIdentity()).isEqualTo(!expected.equals("none"));
  }

  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  /** Whether every object of {@code yaml} is in the index, so answers are about them. */
  boolean loaded(String yaml) {
    Snapshot snap = index.snapshot();
    for (String doc : yaml.split("---\n")) {
      Resource r = KubeObjects.convert(YAML.unmarshal(doc)).orElseThrow();
      boolean present =
          switch (r.kind()) {
            case NAMESPACE -> snap.namespace(r.name()) != null;
            case POD -> snap.pod(r.namespace(), r.name()) != null;
            case SERVICE -> snap.service(r.namespace(), r.name()) != null;
            case SERVER ->
                snap.servers(r.namespace()).stream().anyMatch(x -> x.name().equals(r.name()));
            default -> true;
          };
      if (!present) {
        return false;
      }
    }
    return true;
  }

  static String describe(ProtocolHint h) {
    if (h.hasOpaque()) {
      return h.hasOpaqueTransport()
          ? "opaque:" + h.getOpaqueTransport().getInboundPort()
          : "opaque";
    }
    return h.hasH2() ? "h2" : "none";
  }

  static ProtocolHint hint(Update u) {
    return u.getAdd().getAddrs(0).getProtocolHint();
  }

  static int ipv4(int a, int b, int c, int d) {
    return (a << 24) | (b << 16) | (c << 8) | d;
  }
}
