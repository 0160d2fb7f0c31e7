package dev.portolan.policy.index;

import org.jspecify.annotations.Nullable;

/**
 * The latest value of a topic.
 *
 * @param version the snapshot version at which the value last changed
 * @param value the value, or null when computing it failed ({@code error} is set)
 * @param error the failure (e.g. a request the rules reject), or null
 * @param eventNanos {@link System#nanoTime()} when the earliest source event of the batch that
 *     produced this value was observed, for propagation latency
 */
public record Versioned<V>(
    long version, @Nullable V value, @Nullable RuntimeException error, long eventNanos) {}
