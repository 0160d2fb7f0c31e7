package dev.portolan.proxy.route;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Function;
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
 * @param mesh set when the upstream is a peer proxy reached over mesh TLS (then {@code upstream} is
 *     the endpoint's own address and port, the port a transport header names); null for plain TCP
 * @param meshes the mesh target of each endpoint an HTTP request may pick ({@code endpoints}), or
 *     null for plaintext: asked per request, as endpoints and their identities change under a
 *     long-lived client connection
 */
public record Route(
    InetSocketAddress upstream,
    Handling handling,
    String target,
    Supplier<List<InetSocketAddress>> endpoints,
    @Nullable MeshTarget mesh,
    Function<InetSocketAddress, @Nullable MeshTarget> meshes) {

  /** A route whose only mesh target, if any, is that of {@code upstream}. */
  public Route(
      InetSocketAddress upstream,
      Handling handling,
      String target,
      Supplier<List<InetSocketAddress>> endpoints,
      @Nullable MeshTarget mesh) {
    this(upstream, handling, target, endpoints, mesh, onlyFor(upstream, mesh));
  }

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

  /** How an HTTP request reaches {@code endpoint}: over mesh TLS to that target, or plaintext. */
  public @Nullable MeshTarget meshFor(InetSocketAddress endpoint) {
    return meshes.apply(endpoint);
  }

  private static Function<InetSocketAddress, @Nullable MeshTarget> onlyFor(
      InetSocketAddress upstream, @Nullable MeshTarget mesh) {
    return a -> mesh != null && a.equals(upstream) ? mesh : null;
  }

  private static Supplier<List<InetSocketAddress>> single(InetSocketAddress upstream) {
    List<InetSocketAddress> one = List.of(upstream);
    return () -> one;
  }
}
