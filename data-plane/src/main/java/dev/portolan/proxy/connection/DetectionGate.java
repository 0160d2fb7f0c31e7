package dev.portolan.proxy.connection;

import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.concurrent.atomic.LongAdder;

/**
 * The cap on connections in protocol detection (docs/design/detection.md, docs/proxy.md
 * "Detection"), one for the whole proxy, both directions: a connection in detection has sent no
 * complete first message, holds a buffer and two timers, and would become an upstream connection at
 * its deadline. Slowloris clients (connect, send part of a request line, hold) cost nothing to
 * make, so without a cap they pile up until memory or file descriptors run out.
 *
 * <p>Over the cap the oldest connection still in detection is evicted (its owner closes it and
 * counts it). The oldest, because a legitimate client classifies within a read or two: to be
 * evicted it must still be undecided after {@code cap} newer connections came in. Closing rather
 * than relaying as TCP: relaying would hand the attack's connections to the application.
 *
 * <p>Among those, a connection whose bytes were read and did not decide ({@link #spoke}) goes
 * before one the proxy has not read yet: during a connect storm the loops accept faster than they
 * read, so a legitimate client's request can wait unread while more than {@code cap} newer
 * connections enter, and plain age would evict it although its first read would decide it. One that
 * sent part of a first message and stopped is what slowloris looks like.
 *
 * <p>Shared by every event loop, so guarded by its own lock; each operation is O(1) (two
 * insertion-ordered sets), and the eviction itself runs on the evicted connection's loop.
 */
public final class DetectionGate {
  /** {@code PORTOLAN_MAX_DETECTING}'s default. */
  public static final int DEFAULT_CAP = 1024;

  private final int cap;
  // Entered and not read yet, oldest first; and read but undecided, by the time of that read.
  private final LinkedHashSet<Ticket> unread = new LinkedHashSet<>();
  private final LinkedHashSet<Ticket> spoke = new LinkedHashSet<>();
  private final Object lock = new Object();
  // The metric {@code tcp_detecting}: moved under the lock with the set, so it never disagrees
  // with size() for longer than a scrape takes.
  private final LongAdder gauge;
  // Evicted since the last takeEvicted(): what the heap give-back counts (docs/proxy.md, "Memory").
  private int evictedSinceTaken;

  /** One connection's place in detection. */
  public static final class Ticket {
    private final Runnable evict;

    private Ticket(Runnable evict) {
      this.evict = evict;
    }
  }

  /**
   * @param cap the most connections in detection at once, at least 1
   */
  public DetectionGate(int cap) {
    this(cap, new LongAdder());
  }

  /**
   * @param cap the most connections in detection at once, at least 1
   * @param gauge kept equal to {@link #size()} (the {@code tcp_detecting} metric)
   */
  public DetectionGate(int cap, LongAdder gauge) {
    if (cap < 1) {
      throw new IllegalArgumentException("the cap on connections in detection must be at least 1");
    }
    this.cap = cap;
    this.gauge = gauge;
  }

  /**
   * A connection enters detection; if that puts the gate over its cap, the oldest one that {@link
   * #spoke} (else the oldest one still in detection) is removed and its {@code evict} is run (on
   * this thread: it should hand the close to its own event loop).
   *
   * @param evict what to do if this connection is evicted later: run at most once, possibly on
   *     another thread while the connection's own loop decides it, so the owner checks there that
   *     detection is still going on
   */
  public Ticket enter(Runnable evict) {
    Ticket ticket = new Ticket(evict);
    Ticket oldest = null;
    synchronized (lock) {
      unread.add(ticket);
      if (unread.size() + spoke.size() > cap) {
        Iterator<Ticket> first = (spoke.isEmpty() ? unread : spoke).iterator();
        oldest = first.next();
        first.remove();
        evictedSinceTaken++;
      } else {
        gauge.increment();
      }
    }
    if (oldest != null) {
      oldest.evict.run();
    }
    return ticket;
  }

  /**
   * The connection's bytes were read and did not decide: from now on it is evicted before any
   * connection not read yet. Nothing if it was evicted already, or had spoken before (its place
   * stays that of its first read).
   */
  public void spoke(Ticket ticket) {
    synchronized (lock) {
      if (unread.remove(ticket)) {
        spoke.add(ticket);
      }
    }
  }

  /** The connection's detection is over (decided, or closed); false if it was evicted already. */
  public boolean leave(Ticket ticket) {
    synchronized (lock) {
      boolean was = unread.remove(ticket) || spoke.remove(ticket);
      if (was) {
        gauge.decrement();
      }
      return was;
    }
  }

  /**
   * How many connections were evicted since the last call: the evicted connections' objects are
   * garbage once their loops have closed them, and a storm of them grows the heap to its maximum
   * (see {@code metrics.HeapGiveBack}).
   */
  public int takeEvicted() {
    synchronized (lock) {
      int n = evictedSinceTaken;
      evictedSinceTaken = 0;
      return n;
    }
  }

  /** Connections in detection now. */
  public int size() {
    synchronized (lock) {
      return unread.size() + spoke.size();
    }
  }

  public int cap() {
    return cap;
  }
}
