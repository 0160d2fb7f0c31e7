package dev.portolan.policy.scenarios;

import static dev.portolan.policy.scenarios.Cluster.pod;
import static dev.portolan.policy.scenarios.Cluster.service;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.index.Change;
import dev.portolan.policy.index.EndpointsKey;
import dev.portolan.policy.index.Index;
import dev.portolan.policy.index.ProfileKey;
import dev.portolan.policy.index.Subscription;
import dev.portolan.policy.index.Versioned;
import dev.portolan.policy.model.LabelSelector;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.model.NetworkPolicyInfo;
import dev.portolan.policy.model.NetworkPolicyInfo.PolicyType;
import dev.portolan.policy.model.NetworkPolicyInfo.Port;
import dev.portolan.policy.model.NetworkPolicyInfo.Rule;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.PortRange;
import dev.portolan.policy.model.Resource;
import dev.portolan.policy.resolve.Authority;
import dev.portolan.policy.resolve.ClientClass;
import dev.portolan.policy.resolve.ClientContext;
import dev.portolan.policy.resolve.EndpointSet;
import dev.portolan.policy.resolve.NetworkPolicyTransport;
import dev.portolan.policy.resolve.Overlay;
import dev.portolan.policy.resolve.Profile;
import dev.portolan.policy.resolve.Resolver;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The NetworkPolicy-aware rewrite on shared topics (docs/design/networkpolicy.md): the Redis shape
 * withholds the rewrite from the client the policy lets in on 6379 only, and open subscriptions
 * follow policy, Pod-label and Namespace-label edits.
 */
class NetworkPolicyOverlayTest {
  static final String REDIS = "10.1.0.10:6379";
  final Index index =
      new Index(new Resolver(MeshSettings.defaults(), new NetworkPolicyTransport()));
  final EndpointsKey key = new EndpointsKey("ns", "redis", 6379);

  @AfterEach
  void close() {
    index.close();
  }

  @BeforeEach
  void cluster() throws Exception {
    apply(
        service("redis").selector("app", "redis").port("redis", 6379, "6379").build(),
        pod("redis-0")
            .label("app", "redis")
            .ip("10.1.0.10")
            .port("redis", 6379)
            .opaquePorts("6379")
            .build(),
        client("client-0", "client", "10.1.0.50"),
        client("client-1", "client", "10.1.0.51"),
        client("other-0", "other", "10.1.0.60"));
  }

  void apply(Resource... objects) throws Exception {
    for (Resource r : objects) {
      index.submit(new Change.Upsert(r));
    }
    index.flush().get();
  }

  static PodInfo client(String name, String app, String ip) {
    return pod(name).label("app", app).ip(ip).build();
  }

  static NetworkPolicyInfo ingress(String name, String clientApp, int... ports) {
    List<Port> p =
        Arrays.stream(ports)
            .mapToObj(n -> (Port) new Port.Numbers("TCP", PortRange.of(n)))
            .toList();
    var from = new NetworkPolicyInfo.Peer.Pods(LabelSelector.of(Map.of("app", clientApp)), null);
    return new NetworkPolicyInfo(
        "ns",
        name,
        LabelSelector.of(Map.of("app", "redis")),
        Set.of(PolicyType.INGRESS),
        List.of(new Rule(List.of(from), p)),
        List.of());
  }

  Subscription<EndpointSet> subscribe(String pod, AtomicInteger woken) {
    ClientClass c = index.resolver().classify(new ClientContext("ns", "", pod));
    return index.subscribe(key, c, woken::incrementAndGet);
  }

  static Overlay overlay(Subscription<?> s) {
    Versioned<?> v = s.current();
    assertThat(v).isNotNull();
    return v.overlay();
  }

  @Test
  void the_redis_shape_withholds_the_rewrite_only_from_the_client_it_lets_in() throws Exception {
    apply(ingress("redis", "client", 6379));
    var client = subscribe("client-0", new AtomicInteger());
    var other = subscribe("other-0", new AtomicInteger());
    var unknown = index.subscribe(key, index.resolver().classify(ClientContext.UNKNOWN), () -> {});
    index.flush().get();

    assertThat(overlay(client).withheld()).containsExactly(REDIS);
    // Both ports denied: the user isolated redis from it; rewriting changes nothing.
    assertThat(overlay(other).isNone()).isTrue();
    assertThat(overlay(unknown).isNone()).isTrue();
  }

  @Test
  void clients_the_policies_cannot_tell_apart_share_one_value() throws Exception {
    apply(ingress("redis", "client", 6379));
    var a = subscribe("client-0", new AtomicInteger());
    var b = subscribe("client-1", new AtomicInteger());
    index.flush().get();
    assertThat(a.current()).isSameAs(b.current());
    // and after a recomputation too
    apply(ingress("redis-too", "nobody", 80));
    assertThat(a.current()).isSameAs(b.current());
    assertThat(overlay(a).withheld()).containsExactly(REDIS);
  }

  @Test
  void open_subscriptions_follow_a_policy_edit() throws Exception {
    apply(ingress("redis", "client", 6379));
    AtomicInteger woken = new AtomicInteger();
    var client = subscribe("client-0", woken);
    index.flush().get();
    assertThat(overlay(client).withheld()).containsExactly(REDIS);
    int before = woken.get();
    long version = client.current().version();

    apply(ingress("redis", "client", 6379, 4143)); // the suggested patch
    assertThat(overlay(client).isNone()).isTrue();
    assertThat(woken.get()).isGreaterThan(before);
    // Streams skip a value whose version they have sent: going back must be a new version.
    assertThat(client.current().version()).isNotEqualTo(version);

    index.submit(new Change.Delete(new Resource.Key(Resource.Kind.NETWORK_POLICY, "ns", "redis")));
    apply(ingress("redis", "client", 6379));
    assertThat(overlay(client).withheld()).containsExactly(REDIS);
  }

  @Test
  void a_policy_edit_wakes_only_the_classes_whose_verdict_changed() throws Exception {
    apply(ingress("redis", "client", 6379));
    AtomicInteger clientWoken = new AtomicInteger();
    AtomicInteger otherWoken = new AtomicInteger();
    var client = subscribe("client-0", clientWoken);
    var other = subscribe("other-0", otherWoken);
    index.flush().get();
    Versioned<EndpointSet> before = client.current();
    Versioned<EndpointSet> otherBefore = other.current();
    int clientBefore = clientWoken.get();
    int otherWokenBefore = otherWoken.get();

    apply(ingress("redis", "client", 6379, 4143));
    assertThat(overlay(client).isNone()).isTrue();
    assertThat(clientWoken.get()).isGreaterThan(clientBefore);
    // The edit changed nothing the endpoints read: the value stands, shared as it was, and the
    // class whose verdict did not change is neither woken nor given a new version.
    assertThat(client.current().value()).isSameAs(before.value());
    assertThat(otherWoken.get()).isEqualTo(otherWokenBefore);
    assertThat(other.current()).isSameAs(otherBefore);
  }

  @Test
  void open_subscriptions_follow_the_client_pods_labels() throws Exception {
    apply(ingress("redis", "client", 6379));
    AtomicInteger woken = new AtomicInteger();
    var other = subscribe("other-0", woken);
    index.flush().get();
    assertThat(overlay(other).isNone()).isTrue();
    int before = woken.get();

    apply(client("other-0", "client", "10.1.0.60"));
    assertThat(overlay(other).withheld()).containsExactly(REDIS);
    assertThat(woken.get()).isGreaterThan(before);
  }

  @Test
  void open_subscriptions_follow_a_namespaces_labels() throws Exception {
    // Clients of namespace "web" may reach 6379 when "web" is labelled team=cache.
    var from = new NetworkPolicyInfo.Peer.Pods(null, LabelSelector.of(Map.of("team", "cache")));
    apply(
        new NetworkPolicyInfo(
            "ns",
            "redis",
            LabelSelector.of(Map.of("app", "redis")),
            Set.of(PolicyType.INGRESS),
            List.of(new Rule(List.of(from), List.of(new Port.Numbers("TCP", PortRange.of(6379))))),
            List.of()),
        pod("web-0").ns("web").ip("10.1.0.70").build(),
        new NamespaceInfo("web", Map.of(), Map.of()));
    var web =
        index.subscribe(
            key, index.resolver().classify(new ClientContext("web", "", "web-0")), () -> {});
    index.flush().get();
    assertThat(overlay(web).isNone()).isTrue();

    apply(new NamespaceInfo("web", Map.of("team", "cache"), Map.of()));
    assertThat(overlay(web).withheld()).containsExactly(REDIS);
  }

  @Test
  void an_egress_policy_allowing_the_app_port_but_not_4143_withholds_the_rewrite()
      throws Exception {
    var to = new NetworkPolicyInfo.Peer.Pods(LabelSelector.of(Map.of("app", "redis")), null);
    apply(
        new NetworkPolicyInfo(
            "ns",
            "client-egress",
            LabelSelector.of(Map.of("app", "client")),
            Set.of(PolicyType.EGRESS),
            List.of(),
            List.of(new Rule(List.of(to), List.of(new Port.Numbers("TCP", PortRange.of(6379)))))));
    var client = subscribe("client-0", new AtomicInteger());
    var other = subscribe("other-0", new AtomicInteger());
    index.flush().get();
    assertThat(overlay(client).withheld()).containsExactly(REDIS);
    assertThat(overlay(other).isNone()).isTrue();
  }

  @Test
  void a_pod_ip_profile_gets_the_same_decision() throws Exception {
    apply(ingress("redis", "client", 6379));
    ProfileKey pk = new ProfileKey(Authority.parse("10.1.0.10:6379"), "cluster.local");
    Subscription<Profile> p =
        index.subscribe(
            pk, index.resolver().classify(new ClientContext("ns", "", "client-0")), () -> {});
    index.flush().get();
    Versioned<Profile> v = p.current();
    assertThat(v).isNotNull();
    Profile seen = v.overlay().apply(v.value());
    assertThat(seen.endpoint().hint().opaqueTransportPort()).isZero();
    assertThat(seen.endpoint().identity()).isNotNull();
  }
}
