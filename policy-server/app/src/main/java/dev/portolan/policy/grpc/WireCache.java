package dev.portolan.policy.grpc;

import dev.portolan.policy.index.Versioned;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The wire form of each topic's latest value, translated once and shared read-only by every stream
 * of the topic: a thousand streams of one destination hold one translation, not a thousand.
 *
 * <p>A stream takes its topic's {@link Slot} when it opens and gives it back when it closes; the
 * slot goes with the last stream. A slot keeps the newest value's wire form: a stream still on an
 * older value gets a translation of its own (rare: streams always read their topic's latest value).
 *
 * @param <K> the topic key
 * @param <V> the topic's value (compared by identity: the index keeps the object while it is equal)
 * @param <W> its wire form
 */
final class WireCache<K, V, W> {
  private final Translate<V, W> translate;
  private final ConcurrentHashMap<K, Slot<V, W>> slots = new ConcurrentHashMap<>();

  /** Translates a value; {@code previous} is the topic's last wire form, to reuse from, or null. */
  @FunctionalInterface
  interface Translate<V, W> {
    W apply(V value, @Nullable W previous);
  }

  WireCache(Translate<V, W> translate) {
    this.translate = translate;
  }

  Slot<V, W> acquire(K key) {
    return slots.compute(
        key,
        (k, s) -> {
          Slot<V, W> slot = s == null ? new Slot<>(translate) : s;
          slot.refs++;
          return slot;
        });
  }

  void release(K key) {
    slots.computeIfPresent(key, (k, s) -> --s.refs == 0 ? null : s);
  }

  /** Topics with a cached wire form now. */
  int size() {
    return slots.size();
  }

  /** One topic's cached wire form. */
  static final class Slot<V, W> {
    private final Translate<V, W> translate;
    private int refs; // guarded by the map's per-key lock (compute)
    private volatile @Nullable Entry<V, W> latest;

    Slot(Translate<V, W> translate) {
      this.translate = translate;
    }

    /** The wire form of {@code v}'s value; translated by the first stream that needs it. */
    W wire(Versioned<V> v) {
      // Only called for a value (streams check first); null would fail in translate anyway.
      V value = Objects.requireNonNull(v.value(), "no value to translate");
      Entry<V, W> e = latest;
      if (e != null && e.value == value) {
        return e.wire;
      }
      // One translation per value, whoever comes first: a change wakes every stream at once.
      synchronized (this) {
        e = latest;
        if (e != null && e.value == value) {
          return e.wire;
        }
        W w = translate.apply(value, e == null ? null : e.wire());
        if (e == null || v.version() >= e.version) {
          latest = new Entry<>(value, v.version(), w);
        }
        return w;
      }
    }
  }

  private record Entry<V, W>(V value, long version, W wire) {}
}
