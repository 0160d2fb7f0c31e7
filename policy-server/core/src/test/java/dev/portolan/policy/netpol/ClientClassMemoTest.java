package dev.portolan.policy.netpol;

import static dev.portolan.policy.netpol.Fixtures.namespace;
import static dev.portolan.policy.netpol.Fixtures.pod;
import static dev.portolan.policy.netpol.Fixtures.pods;
import static dev.portolan.policy.netpol.Fixtures.podsIn;
import static dev.portolan.policy.netpol.Fixtures.policy;
import static dev.portolan.policy.netpol.Fixtures.rule;
import static dev.portolan.policy.netpol.Fixtures.sel;
import static dev.portolan.policy.netpol.Fixtures.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.model.NetworkPolicyInfo;
import dev.portolan.policy.model.PodInfo;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Client classes taken over from the previous snapshot's NetworkPolicies: kept when the edit
 * changes nothing the classification reads (ports), recomputed when it does (a selector, a
 * namespace's labels, the Pod itself).
 */
class ClientClassMemoTest {
  static final NamespaceInfo PROD = namespace("prod", "team", "a");
  static final NamespaceInfo DEV = namespace("dev", "team", "b");
  static final PodInfo WEB =
      pod("prod", "web-1").label("app", "web").label("v", "1").ip("10.9.0.1").build();
  static final PodInfo JOB = pod("dev", "job-1").label("app", "job").ip("10.9.0.2").build();

  static NetworkPolicyInfo dbIn(String key, int port) {
    return policy("prod", "db-in")
        .select("app", "db")
        .ingress(rule().peers(pods(sel(key, "web"))).ports(tcp(port)))
        .build();
  }

  static NetworkPolicies next(
      List<NetworkPolicyInfo> policies, NetworkPolicies previous, NamespaceInfo... namespaces) {
    Map<String, NamespaceInfo> byName = new java.util.HashMap<>();
    for (NamespaceInfo n : namespaces) {
      byName.put(n.name(), n);
    }
    return NetworkPolicies.of(policies, byName::get, List.of(), previous, 2);
  }

  @Test
  void a_ports_only_edit_reclassifies_nobody() {
    NetworkPolicies before = Fixtures.world(List.of(dbIn("app", 8080)), PROD, DEV);
    ClientClass web = before.clientClass(WEB);
    ClientClass job = before.clientClass(JOB);

    NetworkPolicies after = next(List.of(dbIn("app", 4143)), before, PROD, DEV);

    // The same objects: nothing was projected or parsed again.
    assertThat(after.clientClass(WEB)).isSameAs(web);
    assertThat(after.clientClass(JOB)).isSameAs(job);
    assertThat(web).isEqualTo(after.clientClass(Peer.of(WEB)));
  }

  @Test
  void equal_classes_of_different_pods_are_one_object() {
    NetworkPolicies np = Fixtures.world(List.of(dbIn("app", 8080)), PROD, DEV);
    PodInfo other = pod("prod", "web-2").label("app", "web").label("v", "2").ip("10.9.0.3").build();

    assertThat(np.clientClass(other)).isSameAs(np.clientClass(WEB));
  }

  @Test
  void a_selector_edit_reclassifies() {
    NetworkPolicies before = Fixtures.world(List.of(dbIn("app", 8080)), PROD, DEV);
    ClientClass web = before.clientClass(WEB);
    assertThat(web.labels()).isEqualTo(Map.of("app", "web"));

    NetworkPolicies after = next(List.of(dbIn("v", 8080)), before, PROD, DEV);

    ClientClass now = after.clientClass(WEB);
    assertThat(now.labels()).isEqualTo(Map.of("v", "1"));
    assertThat(now).isNotEqualTo(web).isEqualTo(after.clientClass(Peer.of(WEB)));
    // And back: the memo does not keep the class of a projection it has since replaced.
    NetworkPolicies back = next(List.of(dbIn("app", 8080)), after, PROD, DEV);
    assertThat(back.clientClass(WEB)).isEqualTo(web);
  }

  @Test
  void a_namespace_label_edit_reclassifies_where_a_namespace_selector_reads_it() {
    NetworkPolicyInfo fromTeamB =
        policy("prod", "from-b")
            .ingress(rule().peers(podsIn(sel("team", "b"), sel("app", "job"))))
            .build();
    NetworkPolicies before = Fixtures.world(List.of(fromTeamB), PROD, DEV);
    assertThat(before.clientClass(JOB).labels()).isEqualTo(Map.of("app", "job"));

    NetworkPolicies after = next(List.of(fromTeamB), before, PROD, namespace("dev", "team", "c"));

    // dev no longer admitted by the peer: its podSelector is no longer read about dev's Pods.
    assertThat(after.clientClass(JOB).labels()).isEmpty();
  }

  @Test
  void a_changed_pod_is_classified_anew() {
    NetworkPolicies before = Fixtures.world(List.of(dbIn("app", 8080)), PROD, DEV);
    ClientClass web = before.clientClass(WEB);
    PodInfo relabelled =
        pod("prod", "web-1").label("app", "api").label("v", "1").ip("10.9.0.1").build();

    NetworkPolicies after = next(List.of(dbIn("app", 8080)), before, PROD, DEV);

    assertThat(after.clientClass(relabelled).labels()).isEqualTo(Map.of("app", "api"));
    assertThat(after.clientClass(WEB)).isSameAs(web);
  }

  @Test
  void a_new_ip_block_starts_a_new_memo_with_the_same_answers() {
    NetworkPolicies before = Fixtures.world(List.of(dbIn("app", 8080)), PROD, DEV);
    before.clientClass(WEB);
    NetworkPolicyInfo block =
        policy("prod", "block").ingress(rule().peers(Fixtures.ipBlock("10.9.0.0/24"))).build();

    NetworkPolicies after = next(List.of(dbIn("app", 8080), block), before, PROD, DEV);

    assertThat(after.clientClass(WEB).ipBlocks()).hasSize(1);
    assertThat(after.clientClass(WEB)).isEqualTo(after.clientClass(Peer.of(WEB)));
  }
}
