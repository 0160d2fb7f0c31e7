package dev.portolan.policy.index;

import dev.portolan.policy.resolve.ClientClass;
import dev.portolan.policy.resolve.Overlay;
import dev.portolan.policy.resolve.Resolver;

/**
 * What a subscription watches: how to compute its value from a snapshot, and which changes can
 * alter it. Subscribers with equal keys share one topic and one computation, so a key holds only
 * what the answer depends on: never who is asking. What differs by client is an {@link Overlay},
 * computed once per client class.
 */
public interface TopicKey<V> {
  V compute(Resolver resolver, Snapshot snapshot);

  /** Whether a batch can change the value; {@code last} is the value computed before it. */
  boolean affectedBy(ChangeSet changes, V last);

  /** What clients of {@code client} are told differently about {@code value}; none by default. */
  default Overlay overlay(Resolver resolver, Snapshot snapshot, V value, ClientClass client) {
    return Overlay.NONE;
  }
}
