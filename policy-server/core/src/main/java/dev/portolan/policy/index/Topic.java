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
import java.util.concurrent.ConcurrentHashMap;
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
  private int podClasses; // classes in {@code classes} with a client Pod
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

  /**
   * The base value, the classes that see something else, and what each evaluation key saw at the
   * snapshot {@code keysAt} (so a new subscriber of a known key costs no evaluation; keys of
   * another snapshot may mean something else). Replaced whole on recomputation; in between, only
   * {@code byClass} (a concurrent map, read by any thread) changes, in place on the writer thread,
   * as subscribers come and go.
   */
  private record State<V>(
      Versioned<V> base,
      Map<ClientClass, Versioned<V>> byClass,
      Map<Object, Versioned<V>> byKey,
      long keysAt) {
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

  /**
   * Whether some subscriber's class stands for a client Pod, whose overlay can change with what the
   * NetworkPolicies read about clients anywhere ({@link ChangeSet#clients}).
   */
  boolean variesByClient() {
    return podClasses > 0;
  }

  boolean affectedBy(ChangeSet changes) {
    State<V> s = state;
    return s == null || s.base.value() == null || key.affectedBy(changes, s.base.value());
  }

  /** Recomputes the value and the overlays of the classes present; says whom to wake. */
  Woken recompute(Resolver resolver, Snapshot snapshot, long eventNanos) {
    return recompute(resolver, snapshot, eventNanos, true);
  }

  /**
   * Recomputes the overlays of the classes present over the value as it is: for a batch that
   * changed only what the NetworkPolicies read about clients, not what the key reads ({@link
   * #affectedBy} false), so the value cannot have changed and only classes whose verdict did are
   * woken.
   */
  Woken reclassify(Resolver resolver, Snapshot snapshot, long eventNanos) {
    return recompute(resolver, snapshot, eventNanos, state == null);
  }

  private Woken recompute(
      Resolver resolver, Snapshot snapshot, long eventNanos, boolean valueMayChange) {
    State<V> old = state;
    V value = null;
    RuntimeException error = null;
    if (valueMayChange || old == null) {
      try {
        value = key.compute(resolver, snapshot);
      } catch (RuntimeException e) {
        error = e;
      }
    } else {
      value = old.base.value();
      error = old.base.error();
    }
    boolean baseChanged =
        old == null
            || !Objects.equals(old.base.value(), value)
            || !Objects.equals(message(old.base.error()), message(error));
    // An equal value keeps the old object: whatever is cached against it stays valid.
    Versioned<V> base =
        baseChanged
            ? new Versioned<>(snapshot.version(), value, error, eventNanos, Overlay.NONE)
            : Objects.requireNonNull(old).base; // unchanged implies an old state
    Map<ClientClass, Versioned<V>> byClass = new ConcurrentHashMap<>();
    Set<ClientClass> changed = new HashSet<>();
    // Classes the transport policy cannot tell apart in this snapshot share one overlay and one
    // Versioned: computed once per evaluation key, whatever the number of client Pods.
    Map<Object, Versioned<V>> byKey = new HashMap<>();
    for (ClientClass c : classes.keySet()) {
      Versioned<V> before = old == null ? null : old.get(c);
      Object evaluation = resolver.evaluationKey(snapshot, c);
      Versioned<V> now = byKey.get(evaluation);
      if (now == null) {
        Overlay overlay = overlay(resolver, snapshot, base.value(), c);
        if (!baseChanged && before != null && before.overlay().equals(overlay)) {
          now = before;
        } else if (overlay.isNone() && baseChanged) {
          now = base;
        } else {
          // A class going back to the shared value without the value changing gets a new version:
          // its streams compare versions, and base's may be the one they saw with the overlay.
          now = new Versioned<>(snapshot.version(), base.value(), error, eventNanos, overlay);
        }
        byKey.put(evaluation, now);
      }
      if (now != base) {
        byClass.put(c, now);
      }
      if (before == null || baseChanged || !before.overlay().equals(now.overlay())) {
        changed.add(c);
      }
    }
    // Stored even when nobody is woken: the evaluation keys now belong to this snapshot.
    state = new State<>(base, byClass, byKey, snapshot.version());
    if (!baseChanged && changed.isEmpty()) {
      return Woken.NOBODY;
    }
    // Every class changed (a policy edit that flips everyone's verdict): wake them all without
    // hashing each subscriber's class against the set.
    return baseChanged || changed.size() == classes.size()
        ? Woken.ALL
        : new Woken(false, Set.copyOf(changed));
  }

  /**
   * Adds a subscriber; a class new to this topic gets its overlay of the current value, shared with
   * a class of the same evaluation key when there is one.
   */
  void add(Listener l, Resolver resolver, Snapshot snapshot) {
    listeners.add(l);
    if (classes.merge(l.client(), 1, Integer::sum) > 1) {
      return;
    }
    if (l.client().client() != null) {
      podClasses++;
    }
    State<V> s = state;
    if (s == null || s.base.value() == null) {
      return;
    }
    Object evaluation = resolver.evaluationKey(snapshot, l.client());
    Map<Object, Versioned<V>> known = s.keysAt == snapshot.version() ? s.byKey : Map.of();
    Versioned<V> shared = known.get(evaluation);
    if (shared == null) {
      Overlay overlay = overlay(resolver, snapshot, s.base.value(), l.client());
      Versioned<V> b = s.base;
      shared =
          overlay.isNone()
              ? b
              : new Versioned<>(b.version(), b.value(), b.error(), b.eventNanos(), overlay);
    }
    if (shared != s.base) {
      // In place: a thousand client Pods subscribing must not copy the map a thousand times.
      s.byClass.put(l.client(), shared);
    }
    Map<Object, Versioned<V>> byKey = known;
    if (!byKey.containsKey(evaluation)) {
      byKey = new HashMap<>(known);
      byKey.put(evaluation, shared);
    }
    if (byKey != s.byKey) {
      state = new State<>(s.base, s.byClass, byKey, snapshot.version());
    }
  }

  void remove(Listener l) {
    if (!listeners.remove(l)) {
      return;
    }
    if (classes.merge(l.client(), -1, Integer::sum) == 0) {
      classes.remove(l.client());
      if (l.client().client() != null) {
        podClasses--;
      }
      State<V> s = state;
      if (s != null) {
        s.byClass.remove(l.client());
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
