package dev.portolan.policy.netpol;

import static dev.portolan.policy.netpol.Fixtures.expr;
import static dev.portolan.policy.netpol.Fixtures.ipBlock;
import static dev.portolan.policy.netpol.Fixtures.namespace;
import static dev.portolan.policy.netpol.Fixtures.namespaces;
import static dev.portolan.policy.netpol.Fixtures.pod;
import static dev.portolan.policy.netpol.Fixtures.pods;
import static dev.portolan.policy.netpol.Fixtures.podsIn;
import static dev.portolan.policy.netpol.Fixtures.policy;
import static dev.portolan.policy.netpol.Fixtures.rule;
import static dev.portolan.policy.netpol.Fixtures.sel;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.model.IpAddress;
import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.model.NetworkPolicyInfo;
import dev.portolan.policy.model.NetworkPolicyInfo.PolicyType;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What a client class keeps and what it drops, on small examples. */
class ClientClassTest {
  static final NamespaceInfo PROD = namespace("prod", "team", "a");
  static final NamespaceInfo DEV = namespace("dev", "team", "b");

  static final NetworkPolicyInfo DB_IN =
      policy("prod", "db-in")
          .select("app", "db")
          .ingress(
              rule().peers(pods(sel("app", "web"))),
              rule().peers(podsIn(sel("team", "b"), expr("canary", "Exists"))),
              rule().peers(ipBlock("10.1.0.0/16", "10.1.2.0/24")))
          .build();
  static final NetworkPolicyInfo DEV_OUT =
      policy("dev", "out").select("tier", "batch").types(PolicyType.EGRESS).build();

  static NetworkPolicies np() {
    return Fixtures.world(List.of(DB_IN, DEV_OUT), Fixtures.namespace("prod", "team", "a"), DEV);
  }

  static Peer client(String ns, String ip, String... labels) {
    var b = pod(ns, "c").ip(ip);
    for (int i = 0; i < labels.length; i += 2) {
      b.label(labels[i], labels[i + 1]);
    }
    return Peer.of(b.build());
  }

  @Test
  void labels_no_selector_reads_are_dropped() {
    NetworkPolicies np = np();
    ClientClass a = np.clientClass(client("prod", "10.9.0.1", "app", "web", "version", "1"));
    ClientClass b = np.clientClass(client("prod", "10.9.0.2", "app", "web", "version", "2"));
    assertThat(a).isEqualTo(b);
    assertThat(a.labels()).isEqualTo(Map.of("app", "web"));
  }

  @Test
  void keys_are_read_only_where_a_selector_can_apply_to_the_namespace() {
    NetworkPolicies np = np();
    // In prod, app is read (db-in's podSelector-only peer); canary is not (its peer is for dev).
    assertThat(np.clientClass(client("prod", "10.9.0.1", "app", "x", "canary", "1")))
        .isEqualTo(new ClientClass("prod", Map.of("app", "x"), Set.of(), Set.of(), null));
    // In dev, canary is read for presence only, tier by DEV_OUT's podSelector; app is not read.
    assertThat(np.clientClass(client("dev", "10.9.0.1", "app", "x", "canary", "1", "tier", "t")))
        .isEqualTo(new ClientClass("dev", Map.of("tier", "t"), Set.of("canary"), Set.of(), null));
    assertThat(np.clientClass(client("dev", "10.9.0.1", "canary", "1")))
        .isEqualTo(np.clientClass(client("dev", "10.9.0.1", "canary", "2")))
        .isNotEqualTo(np.clientClass(client("dev", "10.9.0.1")));
  }

  @Test
  void namespaces_are_never_merged() {
    NetworkPolicies np = np();
    assertThat(np.clientClass(client("prod", "10.9.0.1")))
        .isNotEqualTo(np.clientClass(client("other", "10.9.0.1")));
  }

  @Test
  void addresses_count_through_the_ingress_blocks_containing_them() {
    NetworkPolicies np = np();
    ClientClass inBlock = np.clientClass(client("prod", "10.1.1.1"));
    assertThat(inBlock.ipBlocks()).hasSize(1);
    assertThat(np.clientClass(client("prod", "10.1.3.3"))).isEqualTo(inBlock);
    assertThat(np.clientClass(client("prod", "10.1.2.2"))).isNotEqualTo(inBlock);
    assertThat(np.clientClass(client("prod", "10.1.2.2")))
        .isEqualTo(np.clientClass(client("prod", "192.0.2.1")));
    assertThat(np.clientClass(Peer.ip("10.1.1.1")))
        .isEqualTo(new ClientClass(null, Map.of(), Set.of(), inBlock.ipBlocks(), null));
  }

  @Test
  void a_node_address_is_a_class_of_its_own() {
    NetworkPolicies np =
        Fixtures.world(List.of(DB_IN), n -> null, List.of("192.168.0.1", "not-an-ip"));
    assertThat(np.clientClass(Peer.ip("192.168.0.1")).nodeIp())
        .isEqualTo(IpAddress.parse("192.168.0.1"));
    assertThat(np.clientClass(Peer.ip("192.168.0.2")).nodeIp()).isNull();
  }

  @Test
  void a_namespace_selector_that_cannot_admit_the_namespace_reads_nothing() {
    NetworkPolicies np =
        Fixtures.world(
            List.of(
                policy("prod", "p")
                    .ingress(rule().peers(podsIn(sel("team", "z"), sel("app", "web"))))
                    .build(),
                policy("prod", "q").ingress(rule().peers(namespaces(sel("team", "b")))).build()),
            PROD,
            DEV);
    assertThat(np.clientClass(client("dev", "10.9.0.1", "app", "web")))
        .isEqualTo(np.clientClass(client("dev", "10.9.0.2", "app", "db")));
  }
}
