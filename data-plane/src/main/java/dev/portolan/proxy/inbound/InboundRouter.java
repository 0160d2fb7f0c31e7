package dev.portolan.proxy.inbound;

import dev.portolan.proxy.discovery.Discovery;
import dev.portolan.proxy.discovery.Views.InboundPolicy;
import dev.portolan.proxy.net.OriginalDestination;
import dev.portolan.proxy.net.Transport;
import dev.portolan.proxy.relay.Route;
import io.netty.channel.Channel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Inbound (spec/data-plane.md §4): a redirected connection to port P is relayed to the app at
 * 127.0.0.1:P under P's policy — opaque relays at once, detect classifies first, a declared HTTP/1,
 * HTTP/2 or gRPC port goes straight to its codec. Direct connections (opaque transport) need mTLS
 * and the transport header, which are not served yet: they are refused, as are connections aimed at
 * the proxy's own ports (loop guard).
 */
public final class InboundRouter {
  private final Discovery discovery;
  private final int inboundPort;
  private final int outboundPort;
  private final int adminPort;

  public InboundRouter(Discovery discovery, int inboundPort, int outboundPort, int adminPort) {
    this.discovery = discovery;
    this.inboundPort = inboundPort;
    this.outboundPort = outboundPort;
    this.adminPort = adminPort;
  }

  public CompletableFuture<Route> route(Channel ch) {
    InetSocketAddress dst =
        OriginalDestination.orLocal(Transport.fd(ch), (InetSocketAddress) ch.localAddress());
    int port = dst.getPort();
    if (OriginalDestination.isDirect(dst, inboundPort, outboundPort, adminPort)) {
      return CompletableFuture.completedFuture(null);
    }
    InetSocketAddress app = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    String target = dst.getAddress().getHostAddress() + ":" + port;
    return discovery
        .inbound(port)
        .thenApply(policy ->
            switch (policy) {
              case InboundPolicy.Opaque o -> new Route(app, false, Duration.ZERO, target);
              case InboundPolicy.Detect d -> new Route(app, true, d.timeout(), target);
              case InboundPolicy.Declared d ->
                  switch (d.protocol()) {
                    case "http/1" -> Route.ofDeclared(app, "http/1", target);
                    case "http/2", "grpc" -> Route.ofDeclared(app, "http/2", target);
                    default -> new Route(app, false, Duration.ZERO, target); // tls: opaque
                  };
            });
  }
}
