package dev.portolan.proxy.outbound;

import dev.portolan.proxy.balance.P2c;
import dev.portolan.proxy.discovery.Discovery;
import dev.portolan.proxy.discovery.Views.EndpointView;
import dev.portolan.proxy.discovery.Views.ProfileView;
import dev.portolan.proxy.net.OriginalDestination;
import dev.portolan.proxy.relay.Route;
import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollSocketChannel;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Outbound (spec/data-plane.md §3): original destination → profile → for a Service its endpoints
 * and a P2C pick, for a pod IP its own endpoint, otherwise the original destination. Opaque
 * profiles and opaque endpoint hints skip detection. Without mTLS yet, a meshed peer is reached at
 * its real port, where its inbound proxy receives the redirected connection.
 */
public final class OutboundRouter {
  private final Discovery discovery;
  private final P2c balancer = new P2c();
  private final int outboundPort;
  private final int inboundPort;
  private final Duration detectTimeout;

  public OutboundRouter(
      Discovery discovery, int outboundPort, int inboundPort, Duration detectTimeout) {
    this.discovery = discovery;
    this.outboundPort = outboundPort;
    this.inboundPort = inboundPort;
    this.detectTimeout = detectTimeout;
  }

  public CompletableFuture<Route> route(Channel ch) {
    EpollSocketChannel c = (EpollSocketChannel) ch;
    InetSocketAddress dst = OriginalDestination.orLocal(c.fd().intValue(), c.localAddress());
    if (OriginalDestination.isDirect(dst, outboundPort, inboundPort)) {
      // Loop guard: nobody should address the outbound listener itself.
      return CompletableFuture.completedFuture(null);
    }
    String target = dst.getAddress().getHostAddress() + ":" + dst.getPort();
    return discovery
        .profile(dst)
        .thenCompose(profile -> {
          if (!profile.fqn().isEmpty()) {
            return discovery
                .endpoints(profile.fqn() + ":" + dst.getPort())
                .thenApply(eps -> {
                  EndpointView e = balancer.pick(eps.values(), EndpointView::address);
                  return route(profile, e, dst, target);
                });
          }
          return CompletableFuture.completedFuture(route(profile, profile.endpoint(), dst, target));
        });
  }

  private Route route(ProfileView profile, EndpointView e, InetSocketAddress dst, String target) {
    InetSocketAddress upstream = e == null ? dst : e.address();
    boolean opaque = profile.opaque() || (e != null && e.opaque());
    return new Route(upstream, !opaque, detectTimeout, target);
  }

  public P2c balancer() {
    return balancer;
  }
}
