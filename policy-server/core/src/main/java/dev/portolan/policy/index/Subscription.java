package dev.portolan.policy.index;

import org.jspecify.annotations.Nullable;

/**
 * A subscriber's handle on a topic: read the latest value, as its client class sees it, any time;
 * close to stop.
 */
public interface Subscription<V> extends AutoCloseable {
  /** The latest value, or null until the first computation has run. */
  @Nullable Versioned<V> current();

  @Override
  void close();
}
