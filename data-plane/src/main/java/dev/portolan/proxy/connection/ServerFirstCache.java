package dev.portolan.proxy.connection;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Destinations found to speak first (SMTP, MySQL greetings), remembered so the next connection
 * skips detection and its window. Bounded (LRU) and with a TTL, since a port can change hands.
 */
public final class ServerFirstCache {
  private final int capacity;
  private final long ttlNanos;
  private final Map<InetSocketAddress, Long> seen;

  public ServerFirstCache(int capacity, Duration ttl) {
    this.capacity = capacity;
    this.ttlNanos = ttl.toNanos();
    this.seen =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<InetSocketAddress, Long> e) {
            return size() > ServerFirstCache.this.capacity;
          }
        };
  }

  public synchronized boolean isServerFirst(InetSocketAddress a) {
    Long at = seen.get(a);
    if (at == null) {
      return false;
    }
    if (System.nanoTime() - at > ttlNanos) {
      seen.remove(a);
      return false;
    }
    return true;
  }

  public synchronized void remember(InetSocketAddress a) {
    seen.put(a, System.nanoTime());
  }
}
