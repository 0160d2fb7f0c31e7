package dev.portolan.proxy.inbound;

import dev.portolan.policy.model.PortSet;
import dev.portolan.proxy.discovery.Discovery;
import dev.portolan.proxy.http.InboundAccess;
import dev.portolan.proxy.identity.IdentityUnavailableException;
import dev.portolan.proxy.metrics.Metrics;
import dev.portolan.proxy.net.IoTransport;
import dev.portolan.proxy.net.OriginalDestination;
import dev.portolan.proxy.route.Handling;
import dev.portolan.proxy.route.Route;
import dev.portolan.proxy.tls.MeshTls;
import dev.portolan.proxy.tls.ServerMode;
import dev.portolan.proxy.transport.TransportHeader;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Inbound (docs/design/inbound.md): a redirected connection to port P is relayed to the app at
 * 127.0.0.1:P under P's policy — opaque relays at once, detect classifies first, a declared HTTP/1,
 * HTTP/2 or gRPC port goes straight to its codec. A direct connection to the inbound port is the
 * opaque transport: with an identity, mesh TLS with a client certificate and ALPN {@code
 * transport.l5d.io/v1} before any payload, then the transport header within a deadline, then TCP to
 * {@code 127.0.0.1:port}; every refusal is counted in {@code
 * inbound_transport_refused_total{reason}} and logged once per reason. Without an identity such
 * connections are refused before a byte is read. Connections aimed at the proxy's other ports are
 * refused too (loop guard).
 */
public final class InboundRouter {
  private static final Logger log = LoggerFactory.getLogger(InboundRouter.class);
  private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();

  /** Ports a transport header may never name: the proxy's own (4190 is Linkerd's control port). */
  private static final int CONTROL_PORT = 4190;

  private final Discovery discovery;
  private final Metrics metrics;
  private final int inboundPort;
  private final int outboundPort;
  private final int adminPort;
  private final @Nullable MeshTls mesh;
  private final PortSet skipPorts;
  private final Duration headerTimeout;

  /**
   * @param mesh this proxy's mesh TLS, null when identity is disabled (direct connections refused)
   * @param skipPorts the pod's skipped inbound ports: a header naming one is refused
   * @param headerTimeout how long a verified client has to send the whole transport header
   */
  public InboundRouter(
      Discovery discovery,
      Metrics metrics,
      int inboundPort,
      int outboundPort,
      int adminPort,
      @Nullable MeshTls mesh,
      PortSet skipPorts,
      Duration headerTimeout) {
    this.discovery = discovery;
    this.metrics = metrics;
    this.inboundPort = inboundPort;
    this.outboundPort = outboundPort;
    this.adminPort = adminPort;
    this.mesh = mesh;
    this.skipPorts = skipPorts;
    this.headerTimeout = headerTimeout;
  }

  public CompletableFuture<@Nullable Route> route(Channel ch) {
    InetSocketAddress dst =
        OriginalDestination.orLocal(IoTransport.fd(ch), (InetSocketAddress) ch.localAddress());
    int port = dst.getPort();
    String target = dst.getAddress().getHostAddress() + ":" + port;
    if (OriginalDestination.isDirect(dst, inboundPort, outboundPort, adminPort)) {
      if (port == inboundPort) {
        return transport(ch, dst);
      }
      log.debug(
          "inbound {} -> {}: direct connection refused (a proxy port: loop guard)",
          ch.remoteAddress(),
          target);
      return CompletableFuture.completedFuture(null);
    }
    InetSocketAddress app = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    return discovery
        .inboundPolicy(port, ch.closeFuture())
        .thenApply(policy -> {
          String why =
              Authorizer.refusal(
                  policy.authorizations(), source(ch), InboundAccess.clientId(ch), port);
          if (why == null) {
            return new Route(app, policy.handling(), target);
          }
          unauthorized(ch, why);
          if (policy.handling() instanceof Handling.Codec) {
            // A declared HTTP port: every request is answered 403 by the proxy, none forwarded.
            ch.attr(InboundAccess.REFUSED).set(why);
            return new Route(app, policy.handling(), target);
          }
          return null; // closed before a byte reaches the application
        });
  }

  /** The opaque transport: mesh TLS, the header, then the app's port on loopback. */
  private CompletableFuture<@Nullable Route> transport(Channel ch, InetSocketAddress dst) {
    CompletableFuture<@Nullable Route> result = new CompletableFuture<>();
    String local = dst.getAddress().getHostAddress();
    MeshTls tls = mesh;
    if (tls == null) {
      // Identity off: the family that counted these before identity existed keeps counting them.
      metrics
          .counter(
              "transport_header_connections_total",
              Metrics.plus(
                  Metrics.src("inbound", local + ":" + dst.getPort()),
                  "result",
                  "refused_plaintext"))
          .increment();
      refused(ch, "no_identity", "identity is disabled on this proxy (PORTOLAN_IDENTITY)");
      return CompletableFuture.completedFuture(null);
    }
    try {
      // Added behind the handshake's handlers, in front of the front door.
      ch.pipeline()
          .addFirst(
              "transport-header",
              new TransportReader(
                  headerTimeout,
                  new TransportReader.Outcome() {
                    @Override
                    public void header(ChannelHandlerContext ctx, TransportHeader h) {
                      String why = forbidden(h);
                      if (why != null) {
                        InboundRouter.this.refused(
                            ctx.channel(), why, "header names port " + h.port());
                        ctx.close();
                        result.complete(null);
                        return;
                      }
                      authorize(ctx.channel(), h.port(), local, result);
                    }

                    @Override
                    public void refused(ChannelHandlerContext ctx, String reason, String detail) {
                      InboundRouter.this.refused(ctx.channel(), reason, detail);
                      result.complete(null);
                    }
                  }));
      tls.server(ch, ServerMode.TRANSPORT).addFirst(ch.pipeline());
    } catch (IdentityUnavailableException e) {
      ch.pipeline().remove("transport-header");
      refused(ch, "no_identity", String.valueOf(e.getMessage()));
      return CompletableFuture.completedFuture(null);
    }
    ch.read();
    return result;
  }

  /**
   * The header's port is served only if its authorizations admit this client, identified by its
   * verified client certificate (docs/design/inbound.md); otherwise the connection is closed before
   * a byte reaches the application.
   */
  private void authorize(
      Channel ch, int port, String local, CompletableFuture<@Nullable Route> result) {
    discovery
        .inboundPolicy(port, ch.closeFuture())
        .whenComplete((policy, err) ->
            ch.eventLoop()
                .execute(() -> {
                  String why =
                      policy == null
                          ? "no policy for port " + port + ": " + err
                          : Authorizer.refusal(
                              policy.authorizations(),
                              source(ch),
                              InboundAccess.clientId(ch),
                              port);
                  if (why != null) {
                    refused(ch, "unauthorized", why);
                    ch.close();
                    result.complete(null);
                    return;
                  }
                  InetSocketAddress app =
                      new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
                  result.complete(new Route(app, Handling.OPAQUE, local + ":" + port));
                }));
  }

  private static InetAddress source(Channel ch) {
    return ((InetSocketAddress) ch.remoteAddress()).getAddress();
  }

  /** A redirected connection refused by its port's authorizations: counted, logged once. */
  private void unauthorized(Channel ch, String why) {
    metrics.counter("inbound_refused_total", "reason", "unauthorized").increment();
    if (LOGGED.add("redirected:unauthorized")) {
      log.warn(
          "inbound connection from {} refused (unauthorized): {} (logged once, counted in"
              + " inbound_refused_total)",
          ch.remoteAddress(),
          why);
    } else if (log.isDebugEnabled()) {
      log.debug("inbound connection from {} refused (unauthorized): {}", ch.remoteAddress(), why);
    }
  }

  /** Why a header's port may not be served, or null. */
  private @Nullable String forbidden(TransportHeader h) {
    int p = h.port();
    if (p == inboundPort || p == outboundPort || p == adminPort || p == CONTROL_PORT) {
      return "proxy_port";
    }
    if (skipPorts.contains(p)) {
      return "skipped_port";
    }
    if (h.sessionProtocol() != null) {
      // Served by the HTTP codec of that version in a later slice; refused, not guessed, for now.
      return "session_protocol";
    }
    return null;
  }

  private void refused(Channel ch, String reason, String detail) {
    metrics.counter("inbound_transport_refused_total", "reason", reason).increment();
    if (LOGGED.add(reason)) {
      log.warn(
          "inbound transport from {} refused ({}): {} (logged once per reason, counted in"
              + " inbound_transport_refused_total)",
          ch.remoteAddress(),
          reason,
          detail);
    } else if (log.isDebugEnabled()) {
      log.debug("inbound transport from {} refused ({}): {}", ch.remoteAddress(), reason, detail);
    }
  }
}
