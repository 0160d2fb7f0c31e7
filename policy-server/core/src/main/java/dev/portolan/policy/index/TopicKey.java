package dev.portolan.policy.index;

import dev.portolan.policy.resolve.Resolver;

/**
 * What a subscription watches: how to compute its value from a snapshot, and which changes can
 * alter it. Subscribers with equal keys share one topic and one computation.
 */
public interface TopicKey<V> {
  V compute(Resolver resolver, Snapshot snapshot);

  /** Whether a batch can change the value; {@code last} is the value computed before it. */
  boolean affectedBy(ChangeSet changes, V last);
}
