package dev.portolan.proxy.balance;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Power of two choices over the connections in flight to each endpoint: pick two at random and take
 * the less loaded. (Peak-EWMA latency as the load measure is the next step.)
 */
public final class P2c {
  private final Map<InetSocketAddress, AtomicInteger> inFlight = new ConcurrentHashMap<>();

  /** Chooses an endpoint, or null when there is none. */
  public <T> T pick(
      Collection<T> endpoints, java.util.function.Function<T, InetSocketAddress> address) {
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
    return load(address.apply(a)) <= load(address.apply(b)) ? a : b;
  }

  private int load(InetSocketAddress a) {
    AtomicInteger n = inFlight.get(a);
    return n == null ? 0 : n.get();
  }

  /** A connection to {@code a} opened; run the returned action when it closes. */
  public Runnable opened(InetSocketAddress a) {
    AtomicInteger n = inFlight.computeIfAbsent(a, k -> new AtomicInteger());
    n.incrementAndGet();
    return n::decrementAndGet;
  }
}
