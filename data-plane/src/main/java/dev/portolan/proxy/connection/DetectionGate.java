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
 * <p>Shared by every event loop, so guarded by its own lock; each operation is O(1) (an
 * insertion-ordered set), and the eviction itself runs on the evicted connection's loop.
 */
public final class DetectionGate {
  /** {@code PORTOLAN_MAX_DETECTING}'s default. */
  public static final int DEFAULT_CAP = 1024;

  private final int cap;
  private final LinkedHashSet<Ticket> inDetection = new LinkedHashSet<>();
  // The metric {@code tcp_detecting}: moved under the lock with the set, so it never disagrees
  // with size() for longer than a scrape takes.
  private final LongAdder gauge;

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
   * A connection enters detection; if that puts the gate over its cap, the oldest one still in
   * detection is removed and its {@code evict} is run (on this thread: it should hand the close to
   * its own event loop).
   *
   * @param evict what to do if this connection is evicted later: run at most once, possibly on
   *     another thread while the connection's own loop decides it, so the owner checks there that
   *     detection is still going on
   */
  public Ticket enter(Runnable evict) {
    Ticket ticket = new Ticket(evict);
    Ticket oldest = null;
    synchronized (inDetection) {
      inDetection.add(ticket);
      if (inDetection.size() > cap) {
        Iterator<Ticket> first = inDetection.iterator();
        oldest = first.next();
        first.remove();
      } else {
        gauge.increment();
      }
    }
    if (oldest != null) {
      oldest.evict.run();
    }
    return ticket;
  }

  /** The connection's detection is over (decided, or closed); false if it was evicted already. */
  public boolean leave(Ticket ticket) {
    synchronized (inDetection) {
      boolean was = inDetection.remove(ticket);
      if (was) {
        gauge.decrement();
      }
      return was;
    }
  }

  /** Connections in detection now. */
  public int size() {
    synchronized (inDetection) {
      return inDetection.size();
    }
  }

  public int cap() {
    return cap;
  }
}
