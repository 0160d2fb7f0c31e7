package dev.portolan.proxy.route;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Where an accepted connection goes and how.
 *
 * @param upstream the address a TCP connection is relayed to (picked once, per connection)
 * @param handling opaque, detect (with its timeout) or a declared HTTP codec
 * @param target the {@code target_addr} metric label
 * @param endpoints the current endpoints, asked again for every HTTP request (per-request balancing
 *     follows endpoint changes on a long-lived connection); never empty
 * @param mesh set when the upstream is a peer proxy reached over mesh TLS and the opaque transport
 *     (then {@code upstream} is the endpoint's own address and port, the port the transport header
 *     names); null for plain TCP
 */
public record Route(
    InetSocketAddress upstream,
    Handling handling,
    String target,
    Supplier<List<InetSocketAddress>> endpoints,
    @Nullable MeshTarget mesh) {

  /** A plain route with one possible upstream. */
  public Route(InetSocketAddress upstream, Handling handling, String target) {
    this(upstream, handling, target, single(upstream), null);
  }

  /** A plain route over a changing set of upstreams. */
  public Route(
      InetSocketAddress upstream,
      Handling handling,
      String target,
      Supplier<List<InetSocketAddress>> endpoints) {
    this(upstream, handling, target, endpoints, null);
  }

  /** Where the connection is dialled: the peer's inbound port under mesh TLS, else upstream. */
  public InetSocketAddress dialled() {
    return mesh == null || !mesh.opaqueTransport()
        ? upstream
        : new InetSocketAddress(upstream.getAddress(), mesh.transportPort());
  }

  private static Supplier<List<InetSocketAddress>> single(InetSocketAddress upstream) {
    List<InetSocketAddress> one = List.of(upstream);
    return () -> one;
  }
}
