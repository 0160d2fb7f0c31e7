package dev.portolan.policy.index;

import dev.portolan.policy.resolve.ClientClass;
import dev.portolan.policy.resolve.Overlay;
import dev.portolan.policy.resolve.Resolver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One shared computation: the latest value of a key, change-suppressed, and for each client class
 * among its subscribers, the overlay that class is told differently. Mutated only on the index's
 * writer thread; {@link #current} is read by any thread.
 *
 * <p>Every class shares the value object. A class with no overlay (today: all of them) shares the
 * base {@link Versioned} too, so a thousand subscribers of one destination hold one value, whoever
 * they are.
 */
final class Topic<V> {
  final TopicKey<V> key;
  private final Set<Listener> listeners = new LinkedHashSet<>();
  private final Map<ClientClass, Integer> classes = new HashMap<>();
  private volatile @Nullable State<V> state;

  /**
   * A subscriber: its class, and what to run when the value it sees changes. Identity matters (two
   * subscribers may pass the same class and runnable), so this is not a record.
   */
  static final class Listener {
    private final ClientClass client;
    private final Runnable onChange;

    Listener(ClientClass client, Runnable onChange) {
      this.client = client;
      this.onChange = onChange;
    }

    ClientClass client() {
      return client;
    }

    Runnable onChange() {
      return onChange;
    }
  }

  /** The base value and the classes that see something else; replaced whole. */
  private record State<V>(Versioned<V> base, Map<ClientClass, Versioned<V>> byClass) {
    Versioned<V> get(ClientClass c) {
      // Read by every stream of the topic on every change: no class hashing while none differs.
      return byClass.isEmpty() ? base : byClass.getOrDefault(c, base);
    }
  }

  /** Who a recomputation must wake: everyone, nobody, or some classes. */
  record Woken(boolean all, Set<ClientClass> classes) {
    static final Woken NOBODY = new Woken(false, Set.of());
    static final Woken ALL = new Woken(true, Set.of());

    boolean any() {
      return all || !classes.isEmpty();
    }
  }

  Topic(TopicKey<V> key) {
    this.key = key;
  }

  @Nullable Versioned<V> current(ClientClass client) {
    State<V> s = state;
    return s == null ? null : s.get(client);
  }

  boolean hasListeners() {
    return !listeners.isEmpty();
  }

  boolean affectedBy(ChangeSet changes) {
    State<V> s = state;
    return s == null || s.base.value() == null || key.affectedBy(changes, s.base.value());
  }

  /** Recomputes the value and the overlays of the classes present; says whom to wake. */
  Woken recompute(Resolver resolver, Snapshot snapshot, long eventNanos) {
    V value = null;
    RuntimeException error = null;
    try {
      value = key.compute(resolver, snapshot);
    } catch (RuntimeException e) {
      error = e;
    }
    State<V> old = state;
    boolean baseChanged =
        old == null
            || !Objects.equals(old.base.value(), value)
            || !Objects.equals(message(old.base.error()), message(error));
    // An equal value keeps the old object: whatever is cached against it stays valid.
    Versioned<V> base =
        baseChanged
            ? new Versioned<>(snapshot.version(), value, error, eventNanos, Overlay.NONE)
            : Objects.requireNonNull(old).base; // unchanged implies an old state
    Map<ClientClass, Versioned<V>> byClass = new HashMap<>();
    Set<ClientClass> changed = new HashSet<>();
    for (ClientClass c : classes.keySet()) {
      Versioned<V> before = old == null ? null : old.get(c);
      Overlay overlay = overlay(resolver, snapshot, base.value(), c);
      Versioned<V> now;
      if (!baseChanged && before != null && before.overlay().equals(overlay)) {
        now = before;
      } else if (overlay.isNone() && baseChanged) {
        now = base;
      } else {
        now = new Versioned<>(snapshot.version(), base.value(), error, eventNanos, overlay);
      }
      if (now != base) {
        byClass.put(c, now);
      }
      if (now != before) {
        changed.add(c);
      }
    }
    if (!baseChanged && changed.isEmpty()) {
      return Woken.NOBODY;
    }
    state = new State<>(base, Map.copyOf(byClass));
    return baseChanged ? Woken.ALL : new Woken(false, Set.copyOf(changed));
  }

  /** Adds a subscriber; a class new to this topic gets its overlay of the current value. */
  void add(Listener l, Resolver resolver, Snapshot snapshot) {
    listeners.add(l);
    if (classes.merge(l.client(), 1, Integer::sum) > 1) {
      return;
    }
    State<V> s = state;
    if (s == null || s.base.value() == null) {
      return;
    }
    Overlay overlay = overlay(resolver, snapshot, s.base.value(), l.client());
    if (!overlay.isNone()) {
      Versioned<V> b = s.base;
      Map<ClientClass, Versioned<V>> byClass = new HashMap<>(s.byClass);
      byClass.put(
          l.client(), new Versioned<>(b.version(), b.value(), b.error(), b.eventNanos(), overlay));
      state = new State<>(b, Map.copyOf(byClass));
    }
  }

  void remove(Listener l) {
    if (!listeners.remove(l)) {
      return;
    }
    if (classes.merge(l.client(), -1, Integer::sum) == 0) {
      classes.remove(l.client());
      State<V> s = state;
      if (s != null && s.byClass.containsKey(l.client())) {
        Map<ClientClass, Versioned<V>> byClass = new HashMap<>(s.byClass);
        byClass.remove(l.client());
        state = new State<>(s.base, Map.copyOf(byClass));
      }
    }
  }

  void wake(Woken woken) {
    List<Listener> targets = new ArrayList<>();
    for (Listener l : listeners) {
      if (woken.all() || woken.classes().contains(l.client())) {
        targets.add(l);
      }
    }
    for (Listener l : targets) {
      try {
        l.onChange().run();
      } catch (RuntimeException e) {
        // One broken listener must not stop the writer or starve the others.
        Thread.currentThread()
            .getUncaughtExceptionHandler()
            .uncaughtException(Thread.currentThread(), e);
      }
    }
  }

  private Overlay overlay(
      Resolver resolver, Snapshot snapshot, @Nullable V value, ClientClass client) {
    return value == null ? Overlay.NONE : key.overlay(resolver, snapshot, value, client);
  }

  private static @Nullable String message(@Nullable RuntimeException e) {
    return e == null ? null : e.getClass().getName() + ":" + e.getMessage();
  }
}
