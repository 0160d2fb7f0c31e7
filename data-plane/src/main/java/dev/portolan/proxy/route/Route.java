package dev.portolan.proxy.route;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Supplier;

/**
 * Where an accepted connection goes and how.
 *
 * @param upstream the address a TCP connection is relayed to (picked once, per connection)
 * @param handling opaque, detect (with its timeout) or a declared HTTP codec
 * @param target the {@code target_addr} metric label
 * @param endpoints the current endpoints, asked again for every HTTP request (per-request balancing
 *     follows endpoint changes on a long-lived connection); never empty
 */
public record Route(
    InetSocketAddress upstream,
    Handling handling,
    String target,
    Supplier<List<InetSocketAddress>> endpoints) {

  /** A route with one possible upstream. */
  public Route(InetSocketAddress upstream, Handling handling, String target) {
    this(upstream, handling, target, single(upstream));
  }

  private static Supplier<List<InetSocketAddress>> single(InetSocketAddress upstream) {
    List<InetSocketAddress> one = List.of(upstream);
    return () -> one;
  }
}
