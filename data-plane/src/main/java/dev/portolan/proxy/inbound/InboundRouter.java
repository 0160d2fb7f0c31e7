package dev.portolan.proxy.inbound;

import dev.portolan.proxy.discovery.Discovery;
import dev.portolan.proxy.metrics.Metrics;
import dev.portolan.proxy.net.IoTransport;
import dev.portolan.proxy.net.OriginalDestination;
import dev.portolan.proxy.route.Route;
import io.netty.channel.Channel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Inbound (docs/design/inbound.md): a redirected connection to port P is relayed to the app at
 * 127.0.0.1:P under P's policy — opaque relays at once, detect classifies first, a declared HTTP/1,
 * HTTP/2 or gRPC port goes straight to its codec. Direct connections (opaque transport) need mTLS
 * and the transport header, which are not served yet: they are refused before a byte is read and
 * counted in {@code transport_header_connections_total{result="refused_plaintext"}}. Connections
 * aimed at the proxy's other ports are refused too (loop guard).
 */
public final class InboundRouter {
  private static final Logger log = LoggerFactory.getLogger(InboundRouter.class);
  private final Discovery discovery;
  private final Metrics metrics;
  private final int inboundPort;
  private final int outboundPort;
  private final int adminPort;

  public InboundRouter(
      Discovery discovery, Metrics metrics, int inboundPort, int outboundPort, int adminPort) {
    this.discovery = discovery;
    this.metrics = metrics;
    this.inboundPort = inboundPort;
    this.outboundPort = outboundPort;
    this.adminPort = adminPort;
  }

  public CompletableFuture<Route> route(Channel ch) {
    InetSocketAddress dst =
        OriginalDestination.orLocal(IoTransport.fd(ch), (InetSocketAddress) ch.localAddress());
    int port = dst.getPort();
    String target = dst.getAddress().getHostAddress() + ":" + port;
    if (OriginalDestination.isDirect(dst, inboundPort, outboundPort, adminPort)) {
      if (port == inboundPort) {
        metrics
            .counter(
                "transport_header_connections_total",
                Metrics.plus(Metrics.src("inbound", target), "result", "refused_plaintext"))
            .increment();
      }
      log.debug(
          "inbound {} -> {}: direct connection refused ({})",
          ch.remoteAddress(),
          target,
          port == inboundPort ? "no mTLS, no transport header" : "a proxy port: loop guard");
      return CompletableFuture.completedFuture(null);
    }
    InetSocketAddress app = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    return discovery
        .inbound(port, ch.closeFuture())
        .thenApply(handling -> new Route(app, handling, target));
  }
}
