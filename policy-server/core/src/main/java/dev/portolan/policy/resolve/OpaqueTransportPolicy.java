package dev.portolan.policy.resolve;

import dev.portolan.policy.model.PodInfo;

/**
 * The seam of the NetworkPolicy-aware rewrite (docs/design/networkpolicy.md): which class a client
 * belongs to, and whether a class is told to rewrite an opaque connection to a server Pod's inbound
 * proxy port. Answers are shared per destination; only this decision varies, per class, so that
 * proxies asking about the same destination never cost a copy of its endpoints each.
 *
 * <p>The evaluator implements it; until then, {@link #ALWAYS} puts everyone in one class and tells
 * everyone to rewrite (Linkerd's behaviour).
 */
public interface OpaqueTransportPolicy {
  OpaqueTransportPolicy ALWAYS =
      new OpaqueTransportPolicy() {
        @Override
        public ClientClass classify(ClientContext client) {
          return ClientClass.EVERYONE;
        }

        @Override
        public boolean rewrite(
            ClusterView view, ClientClass client, PodInfo server, int port, int inboundPort) {
          return true;
        }
      };

  /**
   * The class of a client, from its context token alone (so a stream keeps its class). Clients that
   * must be told different things must be in different classes.
   */
  ClientClass classify(ClientContext client);

  /**
   * What decides {@link #rewrite} for {@code client} in {@code view}: classes with equal keys get
   * the same answers there, so an overlay is computed once per key and shared. By default the class
   * itself.
   */
  default Object evaluationKey(ClusterView view, ClientClass client) {
    return client;
  }

  /** Whether clients of {@code client} may rewrite to {@code server}'s inbound port. */
  boolean rewrite(ClusterView view, ClientClass client, PodInfo server, int port, int inboundPort);
}
