package dev.portolan.proxy.relay;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * Where an accepted connection goes and how.
 *
 * @param upstream the address a TCP connection is relayed to (picked once, per connection)
 * @param detect whether to run protocol detection first (false: opaque, relay at once)
 * @param detectTimeout how long detection may wait for client bytes
 * @param target the {@code target_addr} metric label
 * @param endpoints the current endpoints, asked again for every HTTP request (per-request balancing
 *     follows endpoint changes on a long-lived connection); never empty
 */
public record Route(
    InetSocketAddress upstream,
    boolean detect,
    Duration detectTimeout,
    String target,
    Supplier<List<InetSocketAddress>> endpoints) {

  /** A route with one possible upstream. */
  public Route(InetSocketAddress upstream, boolean detect, Duration detectTimeout, String target) {
    this(upstream, detect, detectTimeout, target, single(upstream));
  }

  private static Supplier<List<InetSocketAddress>> single(InetSocketAddress upstream) {
    List<InetSocketAddress> one = List.of(upstream);
    return () -> one;
  }
}
