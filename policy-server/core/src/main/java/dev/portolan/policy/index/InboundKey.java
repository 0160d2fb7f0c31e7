package dev.portolan.policy.index;

import dev.portolan.policy.model.EffectiveProtocol;
import dev.portolan.policy.model.InboundAuthz;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.resolve.Resolver;
import org.jspecify.annotations.Nullable;

/** InboundServerPolicies.WatchPort: the policy of one port of one Pod. */
public record InboundKey(String namespace, String pod, int port)
    implements TopicKey<InboundKey.Policy> {

  @Override
  public Policy compute(Resolver resolver, Snapshot snapshot) {
    PodInfo p = snapshot.pod(namespace, pod);
    return p == null
        ? Policy.UNKNOWN_POD
        : new Policy(
            true, resolver.inbound(snapshot, p, port), resolver.inboundAuthz(snapshot, p, port));
  }

  /**
   * A change in the Pod's namespace (its Pod, its policies, its Namespace), or, when the port is
   * narrowed by NetworkPolicies, any change to what they read about clients anywhere: a client Pod
   * in another namespace gaining a selected label or a new address changes the networks
   * (docs/design/networkpolicy.md). Ports no policy narrows never pay for client changes.
   */
  @Override
  public boolean affectedBy(ChangeSet changes, Policy last) {
    if (changes.namespaces().contains(namespace)) {
      return true;
    }
    InboundAuthz a = last.authz();
    return changes.clients() && a != null && !a.networkPolicies().isEmpty();
  }

  /**
   * @param podExists false while the Pod is unknown (then {@code protocol} and {@code authz} are
   *     null)
   * @param authz who may connect to the port
   */
  public record Policy(
      boolean podExists, @Nullable EffectiveProtocol protocol, @Nullable InboundAuthz authz) {
    public static final Policy UNKNOWN_POD = new Policy(false, null, null);
  }
}
