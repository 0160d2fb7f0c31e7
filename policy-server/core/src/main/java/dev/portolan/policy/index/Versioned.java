package dev.portolan.policy.index;

import dev.portolan.policy.resolve.Overlay;
import org.jspecify.annotations.Nullable;

/**
 * The latest value of a topic as one client class sees it. Every class shares {@code value}; the
 * {@code overlay} is what its class is told differently (usually {@link Overlay#NONE}, and then
 * this object is shared too).
 *
 * @param version the snapshot version at which this (value, overlay) last changed
 * @param value the value, or null when computing it failed ({@code error} is set)
 * @param error the failure (e.g. a request the rules reject), or null
 * @param eventNanos {@link System#nanoTime()} when the earliest source event of the batch that
 *     produced this value was observed, for propagation latency
 * @param overlay what this class is told differently from {@code value}
 */
public record Versioned<V>(
    long version,
    @Nullable V value,
    @Nullable RuntimeException error,
    long eventNanos,
    Overlay overlay) {}
