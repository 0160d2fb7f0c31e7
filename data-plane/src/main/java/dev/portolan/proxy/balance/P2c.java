package dev.portolan.proxy.balance;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Power of two choices over peak-EWMA cost (docs/design/outbound.md): pick two endpoints at random
 * and take the cheaper, where cost is the decaying latency estimate times (work in flight + 1). A
 * slow answer raises the estimate at once (the peak); fast answers bring it down over about {@link
 * #DECAY_NANOS}; with nothing observed the estimate decays toward zero, so an endpoint that was
 * slow once is tried again. HTTP feeds it one sample per request, TCP only its connections in
 * flight.
 */
public final class P2c {
  /** The estimate of an endpoint never measured (Linkerd's default too). */
  static final double DEFAULT_RTT_NANOS = 30_000_000;

  /** What a failed request counts as: a 1 s answer, so the next picks avoid the endpoint. */
  static final long FAILURE_PENALTY_NANOS = 1_000_000_000L;

  /** Time constant of the decay. */
  static final double DECAY_NANOS = 10_000_000_000d;

  private final Map<InetSocketAddress, Load> loads = new ConcurrentHashMap<>();

  /** Chooses an endpoint, or null when there is none. */
  public <T> @Nullable T pick(Collection<T> endpoints, Function<T, InetSocketAddress> address) {
    if (endpoints.isEmpty()) {
      return null;
    }
    List<T> list = endpoints instanceof List<T> l ? l : new ArrayList<>(endpoints);
    if (list.size() == 1) {
      return list.getFirst();
    }
    ThreadLocalRandom r = ThreadLocalRandom.current();
    int i = r.nextInt(list.size());
    int j = r.nextInt(list.size() - 1);
    if (j >= i) {
      j++;
    }
    T a = list.get(i);
    T b = list.get(j);
    long now = System.nanoTime();
    return load(address.apply(a)).cost(now) <= load(address.apply(b)).cost(now) ? a : b;
  }

  /** One more request or connection to {@code a}, begun at {@code startNanos}. */
  public Pending begin(InetSocketAddress a, long startNanos) {
    Load load = load(a);
    load.start();
    return new Pending(a, load, startNanos);
  }

  /** A pick among {@code all} but {@code failed}, or null when there is no other. */
  public @Nullable InetSocketAddress pickOther(
      List<InetSocketAddress> all, InetSocketAddress failed) {
    List<InetSocketAddress> others = all.stream().filter(a -> !a.equals(failed)).toList();
    return pick(others, a -> a);
  }

  /**
   * Work in flight to one endpoint, told to the balancer exactly once however it ends: the latency
   * when answered, {@link #FAILURE_PENALTY_NANOS} when the endpoint failed to answer (it decays
   * like any sample), nothing when the client went away.
   */
  public static final class Pending {
    private final InetSocketAddress endpoint;
    private final Load load;
    private final long startNanos;
    private boolean ended;

    private Pending(InetSocketAddress endpoint, Load load, long startNanos) {
      this.endpoint = endpoint;
      this.load = load;
      this.startNanos = startNanos;
    }

    public InetSocketAddress endpoint() {
      return endpoint;
    }

    public void answered() {
      if (end()) {
        long now = System.nanoTime();
        load.end(now - startNanos, now);
      }
    }

    public void failed() {
      if (end()) {
        load.end(FAILURE_PENALTY_NANOS, System.nanoTime());
      }
    }

    public void abandoned() {
      if (end()) {
        load.end();
      }
    }

    private boolean end() {
      boolean first = !ended;
      ended = true;
      return first;
    }
  }

  /** The load record of an endpoint, created on first use and kept (endpoints are few). */
  public Load load(InetSocketAddress a) {
    return loads.computeIfAbsent(a, k -> new Load(System.nanoTime()));
  }

  /** Work in flight and the latency estimate of one endpoint; shared by all event loops. */
  public static final class Load {
    private int pending;
    private double rttNanos = DEFAULT_RTT_NANOS;
    private long stamp;

    Load(long now) {
      this.stamp = now;
    }

    /** One more request or connection in flight. */
    synchronized void start() {
      pending++;
    }

    /** It ended without a latency sample (failure, or a TCP connection). */
    synchronized void end() {
      pending--;
    }

    /** It ended and took {@code nanos}. */
    synchronized void end(long nanos, long now) {
      pending--;
      observe(nanos, now);
    }

    synchronized double cost(long now) {
      observe(0, now); // with nothing new observed, the estimate relaxes toward zero
      return rttNanos * (pending + 1);
    }

    synchronized int pending() {
      return pending;
    }

    private void observe(double nanos, long now) {
      if (nanos > rttNanos) {
        rttNanos = nanos; // the peak counts at once
      } else {
        double keep = Math.exp(-Math.max(0, now - stamp) / DECAY_NANOS);
        rttNanos = rttNanos * keep + nanos * (1 - keep);
      }
      stamp = now;
    }
  }
}
