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

  @Override
  public boolean affectedBy(ChangeSet changes, Policy last) {
    return changes.namespaces().contains(namespace);
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
