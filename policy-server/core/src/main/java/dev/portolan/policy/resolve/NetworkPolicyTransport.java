package dev.portolan.policy.resolve;

import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.netpol.NetworkPolicies;
import org.jspecify.annotations.Nullable;

/**
 * The NetworkPolicy-aware rewrite (docs/design/networkpolicy.md): a client Pod is told to rewrite
 * an opaque connection to the server Pod's inbound port unless the policies (its egress, the
 * server's ingress) refuse it that port while allowing it the application port. Then the client
 * proxy dials the application port itself, with mTLS, and the connection still works.
 *
 * <p>A client that cannot be identified (no token, a token without a Pod, a Pod not in the
 * snapshot) is told to rewrite: nothing is known to withhold it for.
 *
 * <p>Each stream's class names its Pod ({@link ClientClass#of}); the overlay is computed once per
 * {@link dev.portolan.policy.netpol.ClientClass}, the classes the policies of the snapshot cannot
 * tell apart, which is what {@link #evaluationKey} returns.
 */
public final class NetworkPolicyTransport implements OpaqueTransportPolicy {
  /** The evaluation key of every client Pod when there is no policy at all. */
  private static final Object NO_POLICIES = new ClientClass("no-networkpolicies");

  /** The evaluation key of a client whose Pod is not in the snapshot. */
  private static final Object ABSENT = new ClientClass("pod-not-found");

  @Override
  public ClientClass classify(ClientContext client) {
    if (!client.isKnown() || client.pod().isEmpty()) {
      return ClientClass.UNKNOWN;
    }
    return ClientClass.of(client);
  }

  @Override
  public Object evaluationKey(ClusterView view, ClientClass client) {
    PodInfo pod = pod(view, client);
    if (pod == null) {
      return client.client() == null ? client : ABSENT;
    }
    NetworkPolicies policies = view.networkPolicies();
    // Memoised by the Pod object across snapshots: asked for every subscriber on every policy edit.
    return policies.isEmpty() ? NO_POLICIES : policies.clientClass(pod);
  }

  @Override
  public boolean rewrite(
      ClusterView view, ClientClass client, PodInfo server, int port, int inboundPort) {
    PodInfo pod = pod(view, client);
    NetworkPolicies policies = view.networkPolicies();
    if (pod == null || policies.isEmpty()) {
      return true;
    }
    return policies.reach(pod, server, inboundPort) || !policies.reach(pod, server, port);
  }

  private static @Nullable PodInfo pod(ClusterView view, ClientClass client) {
    ClientContext c = client.client();
    return c == null ? null : view.pod(c.namespace(), c.pod());
  }
}
