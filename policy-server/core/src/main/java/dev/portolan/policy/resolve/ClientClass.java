package dev.portolan.policy.resolve;

import org.jspecify.annotations.Nullable;

/**
 * A group of clients that are told the same thing, fixed for the life of a stream. The part of an
 * answer that may differ by client (an {@link Overlay}) is computed once per <em>evaluation
 * key</em> ({@link OpaqueTransportPolicy#evaluationKey}) and topic value, and shared by every
 * subscriber whose class has that key: a class is what keeps per-client answers from costing a copy
 * per proxy.
 *
 * <p>With the NetworkPolicy-aware rewrite (docs/design/networkpolicy.md) a known client's class
 * names its Pod ({@code client} is set): which policies treat it alike can change with its labels,
 * so the grouping is redone per snapshot by the evaluation key, while the stream keeps its class.
 *
 * @param name a stable name, shown in diagnostics
 * @param client the client Pod this class stands for, or null for a class of anonymous clients
 */
public record ClientClass(String name, @Nullable ClientContext client) {
  /** Everyone, when nothing varies by client. */
  public static final ClientClass EVERYONE = new ClientClass("everyone");

  /** Clients without a readable context token naming a Pod. */
  public static final ClientClass UNKNOWN = new ClientClass("unknown");

  public ClientClass(String name) {
    this(name, null);
  }

  /** The class of one client Pod. */
  public static ClientClass of(ClientContext client) {
    return new ClientClass(client.namespace() + "/" + client.pod(), client);
  }
}
