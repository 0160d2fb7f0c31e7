package dev.portolan.policy.resolve;

import dev.portolan.policy.model.PodInfo;

/**
 * Decides whether a client is told to rewrite an opaque connection to the server's inbound proxy
 * port. The NetworkPolicy evaluator (docs/design/networkpolicy.md) implements this; until then
 * every client may.
 */
@FunctionalInterface
public interface OpaqueTransportPolicy {
  OpaqueTransportPolicy ALWAYS = (client, server, port, inboundPort) -> true;

  boolean rewrite(ClientContext client, PodInfo server, int port, int inboundPort);
}
