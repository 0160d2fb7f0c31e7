package dev.portolan.policy.index;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The latest value of a topic.
 *
 * @param version the snapshot version at which the value last changed
 * @param value the value, or null when computing it failed ({@code error} is set)
 * @param error the failure (e.g. a request the rules reject), or null
 * @param eventNanos {@link System#nanoTime()} when the earliest source event of the batch that
 *     produced this value was observed, for propagation latency
 * @param memo data derived from this value once and shared by all of the topic's subscribers
 */
public record Versioned<V>(
    long version, @Nullable V value, @Nullable RuntimeException error, long eventNanos, Memo memo) {

  public Versioned(
      long version, @Nullable V value, @Nullable RuntimeException error, long eventNanos) {
    this(version, value, error, eventNanos, new Memo());
  }

  /**
   * Derived data (e.g. a wire translation) computed once per published value: 1,000 streams of one
   * destination translate it once per change, not 1,000 times. It lives as long as the value.
   */
  public static final class Memo {
    private final ConcurrentHashMap<String, Object> values = new ConcurrentHashMap<>(2);

    @SuppressWarnings("unchecked")
    public <T> T get(String key, Supplier<T> compute) {
      return (T) values.computeIfAbsent(key, k -> compute.get());
    }
  }
}
