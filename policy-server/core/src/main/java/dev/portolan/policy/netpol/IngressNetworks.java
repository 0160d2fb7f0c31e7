package dev.portolan.policy.netpol;

import dev.portolan.policy.model.Authorization;
import dev.portolan.policy.model.Cidr;
import dev.portolan.policy.model.IpAddress;
import dev.portolan.policy.model.NetworkPolicyInfo;
import dev.portolan.policy.model.NetworkPolicyInfo.PolicyType;
import dev.portolan.policy.model.NetworkPolicyInfo.Rule;
import dev.portolan.policy.model.ObjectRef;
import dev.portolan.policy.model.PodInfo;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The client networks a server pod's ingress policies let reach one of its ports directly, as
 * addresses a proxy can check a connection's source against (docs/design/networkpolicy.md, <i>The
 * tunnel keeps the port rules</i>): a connection tunnelled through the inbound port must not reach
 * a port its client could not have reached without the tunnel.
 *
 * <p>Per isolating policy, the union of its ingress rules whose ports match: a rule without peers
 * allows every address; an {@code ipBlock} is its CIDR with its exceptions; a pod or namespace
 * selector is every address of every pod of the snapshot it selects, each as a single-address
 * network ({@code /32}, {@code /128}). The server's own node is always in (Kubernetes always admits
 * it, as {@link NetworkPolicies} does). Pods are read from the snapshot the policies belong to, so
 * the answer is as fresh as that snapshot: a pod's new address or labels, or a namespace's labels,
 * change it in the next one.
 *
 * <p>The same reading as {@link NetworkPolicies#ingressAllows}: a client at address {@code a} that
 * is pod {@code c} is in the networks exactly when the evaluator admits {@code c} at {@code a}
 * (tested against it). A host-network pod shares its node's address, so selecting it admits that
 * whole address, as an address-based enforcer would.
 */
public final class IngressNetworks {
  /** The networks one policy allows, possibly none (then only the node is in). */
  public record PolicyNetworks(ObjectRef policy, List<Authorization.Network> networks) {
    public PolicyNetworks {
      networks = List.copyOf(networks);
    }
  }

  private static final Comparator<Authorization.Network> ORDER =
      Comparator.<Authorization.Network, Boolean>comparing(n -> n.net().network().v6())
          .thenComparing(n -> n.net().network().hi(), Long::compareUnsigned)
          .thenComparing(n -> n.net().network().lo(), Long::compareUnsigned)
          .thenComparingInt(n -> n.net().prefix())
          .thenComparing(n -> n.except().toString());

  private IngressNetworks() {}

  /**
   * What each policy isolating {@code server} for ingress allows to reach TCP {@code port}; empty
   * when no policy isolates it (then the policies do not narrow anything).
   *
   * @param pods every pod of the snapshot {@code policies} was built from (read only when a policy
   *     isolates the server, and then once per snapshot and selector)
   */
  public static List<PolicyNetworks> of(
      NetworkPolicies policies,
      PodInfo server,
      int port,
      Supplier<? extends Collection<PodInfo>> pods) {
    List<NetworkPolicyInfo> isolating = policies.selecting(server, PolicyType.INGRESS);
    if (isolating.isEmpty()) {
      return List.of();
    }
    IpAddress node = policies.hostIp(server);
    List<PolicyNetworks> out = new ArrayList<>(isolating.size());
    for (NetworkPolicyInfo p : isolating) {
      out.add(new PolicyNetworks(p.ref(), networks(policies, p, server, port, pods, node)));
    }
    return out;
  }

  private static List<Authorization.Network> networks(
      NetworkPolicies policies,
      NetworkPolicyInfo policy,
      PodInfo server,
      int port,
      Supplier<? extends Collection<PodInfo>> pods,
      @Nullable IpAddress node) {
    Set<Authorization.Network> out = new LinkedHashSet<>();
    if (node != null) {
      out.add(host(node));
    }
    for (Rule r : policy.rules(PolicyType.INGRESS)) {
      if (!NetworkPolicies.portMatches(r, port, server.ports())) {
        continue;
      }
      if (r.peers().isEmpty()) {
        return Authorization.ALL_NETWORKS; // every peer: nothing narrower can follow
      }
      for (NetworkPolicyInfo.Peer peer : r.peers()) {
        switch (peer) {
          case NetworkPolicyInfo.Peer.Block b ->
              out.add(new Authorization.Network(b.block().cidr(), b.block().except()));
          case NetworkPolicyInfo.Peer.Pods sel -> {
            for (IpAddress ip : policies.selectedAddresses(policy, sel, pods)) {
              out.add(host(ip));
            }
          }
        }
      }
    }
    List<Authorization.Network> sorted = new ArrayList<>(out);
    sorted.sort(ORDER);
    return sorted;
  }

  private static Authorization.Network host(IpAddress a) {
    return new Authorization.Network(new Cidr(a, a.bits()));
  }
}
