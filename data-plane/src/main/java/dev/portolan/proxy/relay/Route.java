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
 * @param declared {@code http/1} or {@code http/2} when policy declares the protocol: served by
 *     that codec at once, without detection; null otherwise
 */
public record Route(
    InetSocketAddress upstream,
    boolean detect,
    Duration detectTimeout,
    String target,
    Supplier<List<InetSocketAddress>> endpoints,
    String declared) {

  /** A route to the given endpoints whose protocol is detected (or opaque). */
  public Route(
      InetSocketAddress upstream,
      boolean detect,
      Duration detectTimeout,
      String target,
      Supplier<List<InetSocketAddress>> endpoints) {
    this(upstream, detect, detectTimeout, target, endpoints, null);
  }

  /** A route with one possible upstream. */
  public Route(InetSocketAddress upstream, boolean detect, Duration detectTimeout, String target) {
    this(upstream, detect, detectTimeout, target, single(upstream), null);
  }

  /** A route whose protocol policy declares: no detection, straight to its codec. */
  public static Route ofDeclared(InetSocketAddress upstream, String protocol, String target) {
    return new Route(upstream, false, Duration.ZERO, target, single(upstream), protocol);
  }

  private static Supplier<List<InetSocketAddress>> single(InetSocketAddress upstream) {
    List<InetSocketAddress> one = List.of(upstream);
    return () -> one;
  }
}
