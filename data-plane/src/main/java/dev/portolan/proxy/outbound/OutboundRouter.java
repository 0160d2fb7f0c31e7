package dev.portolan.proxy.outbound;

import dev.portolan.proxy.balance.P2c;
import dev.portolan.proxy.discovery.Discovery;
import dev.portolan.proxy.discovery.Views.EndpointView;
import dev.portolan.proxy.discovery.Views.ProfileView;
import dev.portolan.proxy.net.OriginalDestination;
import dev.portolan.proxy.route.Handling;
import dev.portolan.proxy.route.MeshTarget;
import dev.portolan.proxy.route.Route;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Outbound (docs/design/outbound.md): original destination → profile → for a Service its endpoints
 * and a P2C pick, for a pod IP its own endpoint, otherwise the original destination. Opaque
 * profiles and opaque endpoint hints skip detection. With an identity of its own, the proxy reaches
 * an endpoint that advertises an identity over mesh TLS ({@link MeshTarget}): at its inbound port
 * when it also advertises {@code opaque_transport}, else at its real port, where its inbound proxy
 * recognises the ClientHello; this holds for opaque connections and for those that detection leaves
 * as TCP. Other peers are dialled in plaintext at their real port.
 */
public final class OutboundRouter {
  private final Discovery discovery;
  private final P2c balancer;
  private final int outboundPort;
  private final int inboundPort;
  private final Duration detectTimeout;
  private final boolean meshTls;

  /**
   * @param meshTls this proxy has an identity: endpoints that advertise one and the opaque
   *     transport are reached over mesh TLS on their inbound port
   */
  public OutboundRouter(
      Discovery discovery,
      P2c balancer,
      int outboundPort,
      int inboundPort,
      Duration detectTimeout,
      boolean meshTls) {
    this.discovery = discovery;
    this.balancer = balancer;
    this.outboundPort = outboundPort;
    this.inboundPort = inboundPort;
    this.detectTimeout = detectTimeout;
    this.meshTls = meshTls;
  }

  public CompletableFuture<Route> route(Channel ch) {
    InetSocketAddress dst = OriginalDestination.orLocal(ch, (InetSocketAddress) ch.localAddress());
    if (OriginalDestination.isDirect(dst, outboundPort, inboundPort)) {
      // Loop guard: nobody should address the outbound listener itself.
      return CompletableFuture.completedFuture(null);
    }
    String target = dst.getAddress().getHostAddress() + ":" + dst.getPort();
    return discovery
        .profile(dst, ch.closeFuture())
        .thenCompose(profile -> {
          if (profile == Discovery.OVER_CAP) {
            // One label for every destination over the cap: their series stay bounded too.
            return CompletableFuture.completedFuture(
                new Route(dst, Handling.OPAQUE, Discovery.OVER_CAP_TARGET));
          }
          if (!profile.fqn().isEmpty()) {
            String authority = profile.fqn() + ":" + dst.getPort();
            return discovery
                .endpoints(authority, ch.closeFuture())
                .thenApply(eps -> {
                  EndpointView e = balancer.pick(eps.values(), EndpointView::address);
                  Live live = new Live(discovery, authority, dst);
                  return route(profile, e, dst, target, live, live::meshFor);
                });
          }
          EndpointView pod = profile.endpoint();
          return CompletableFuture.completedFuture(
              route(
                  profile,
                  pod,
                  dst,
                  target,
                  null,
                  a -> pod != null && a.equals(pod.address()) ? meshTarget(pod) : null));
        });
  }

  private Route route(
      ProfileView profile,
      @Nullable EndpointView e,
      InetSocketAddress dst,
      String target,
      @Nullable Supplier<List<InetSocketAddress>> live,
      Function<InetSocketAddress, @Nullable MeshTarget> meshes) {
    InetSocketAddress upstream = e == null ? dst : e.address();
    // The one place an outbound connection's handling is decided: an opaque profile or an opaque
    // endpoint hint relays at once; anything else is detected (outbound never declares a codec).
    Handling handling =
        profile.opaque() || (e != null && e.opaque())
            ? Handling.OPAQUE
            : new Handling.Detect(detectTimeout);
    // The connection-level target serves the TCP relay: opaque at once, or after detection found
    // no HTTP (TCP, server-first), so meshed-to-meshed bytes are never plaintext. HTTP requests
    // ask `meshes` for the endpoint each one picks.
    MeshTarget mesh = meshTarget(e);
    Supplier<List<InetSocketAddress>> endpoints = live != null ? live : () -> List.of(upstream);
    return new Route(upstream, handling, target, endpoints, mesh, meshes);
  }

  /**
   * Mesh TLS to an endpoint with an identity: through the peer's inbound port when it advertises
   * {@code opaque_transport}, else on its own port, where the peer's inbound proxy recognises a
   * ClientHello naming its identity and terminates it (docs/design/outbound.md). Without an
   * identity of our own, or to an endpoint without one, plaintext.
   */
  private @Nullable MeshTarget meshTarget(@Nullable EndpointView e) {
    if (!meshTls || e == null || e.identity() == null || e.identity().isEmpty()) {
      return null;
    }
    return e.opaqueTransportPort() > 0
        ? new MeshTarget(e.identity(), e.opaqueTransportPort())
        : MeshTarget.applicationPort(e.identity());
  }

  /**
   * A Service's endpoints as discovery knows them now; the original destination while it knows
   * none. Used by one connection (one event loop): the list is rebuilt only when the set changed.
   */
  private final class Live implements Supplier<List<InetSocketAddress>> {
    private final Discovery discovery;
    private final String authority;
    private final List<InetSocketAddress> fallback;
    private @Nullable Map<InetSocketAddress, EndpointView> seen;
    private @Nullable List<InetSocketAddress> list;

    Live(Discovery discovery, String authority, InetSocketAddress dst) {
      this.discovery = discovery;
      this.authority = authority;
      this.fallback = List.of(dst);
    }

    /** The mesh target of one of the Service's endpoints as discovery knows it now. */
    @Nullable MeshTarget meshFor(InetSocketAddress a) {
      return meshTarget(discovery.currentEndpoints(authority).get(a));
    }

    @Override
    public List<InetSocketAddress> get() {
      Map<InetSocketAddress, EndpointView> now = discovery.currentEndpoints(authority);
      List<InetSocketAddress> current = list;
      if (now != seen || current == null) {
        seen = now;
        current = now.isEmpty() ? fallback : List.copyOf(now.keySet());
        list = current;
      }
      return current;
    }
  }

  public P2c balancer() {
    return balancer;
  }
}
