package dev.portolan.proxy.inbound;

import dev.portolan.policy.model.Authorization;
import dev.portolan.policy.model.PortSet;
import dev.portolan.proxy.discovery.Discovery;
import dev.portolan.proxy.discovery.InboundPolicy;
import dev.portolan.proxy.http.InboundAccess;
import dev.portolan.proxy.identity.IdentityUnavailableException;
import dev.portolan.proxy.metrics.ByteCounter;
import dev.portolan.proxy.metrics.Metrics;
import dev.portolan.proxy.net.OriginalDestination;
import dev.portolan.proxy.route.Handling;
import dev.portolan.proxy.route.HttpVersion;
import dev.portolan.proxy.route.Route;
import dev.portolan.proxy.tls.MeshTls;
import dev.portolan.proxy.tls.ServerMode;
import dev.portolan.proxy.transport.TransportHeader;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
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
 * {@code 127.0.0.1:port} (or that HTTP version's codec when the header names a session protocol);
 * every refusal is counted in {@code inbound_transport_refused_total{reason}} and logged once per
 * reason. Without an identity such connections are refused before a byte is read. Connections aimed
 * at the proxy's other ports are refused too (loop guard).
 */
public final class InboundRouter {
  private static final Logger log = LoggerFactory.getLogger(InboundRouter.class);
  private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();

  /** Ports a transport header may never name: the proxy's own (4190 is Linkerd's control port). */
  private static final int CONTROL_PORT = 4190;

  /** A client proxy sends its ClientHello at once; 20 ms covers a busy node's scheduling. */
  public static final Duration DEFAULT_PEEK_WINDOW = Duration.ofMillis(20);

  private final Discovery discovery;
  private final Metrics metrics;
  private final int inboundPort;
  private final int outboundPort;
  private final int adminPort;
  private final @Nullable MeshTls mesh;
  private final PortSet skipPorts;
  private final Duration headerTimeout;
  private final Duration peekWindow;

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
    this(
        discovery,
        metrics,
        inboundPort,
        outboundPort,
        adminPort,
        mesh,
        skipPorts,
        headerTimeout,
        DEFAULT_PEEK_WINDOW);
  }

  /**
   * @param peekWindow how long a redirected connection to an opaque port is watched for a
   *     ClientHello naming this proxy ({@code PORTOLAN_INBOUND_TLS_PEEK})
   */
  public InboundRouter(
      Discovery discovery,
      Metrics metrics,
      int inboundPort,
      int outboundPort,
      int adminPort,
      @Nullable MeshTls mesh,
      PortSet skipPorts,
      Duration headerTimeout,
      Duration peekWindow) {
    this.peekWindow = peekWindow;
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
    InetSocketAddress dst = OriginalDestination.orLocal(ch, (InetSocketAddress) ch.localAddress());
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
        .thenCompose(policy -> {
          Route r = new Route(app, policy.handling(), target);
          MeshTls tls = mesh;
          // TLS detection first on every application port: a client proxy dials an HTTP
          // endpoint with an identity on its own port over mesh TLS, whatever the port's
          // protocol (a declared HTTP port then gets its codec on the plaintext inside).
          CompletableFuture<@Nullable Route> peeked =
              tls == null
                  ? CompletableFuture.completedFuture(r)
                  : peek(ch, tls, r, window(ch, policy, port));
          // Authorized after the peek: a meshed client's identity is known once its handshake is.
          return peeked.thenApply(route -> route == null ? null : admit(ch, policy, route, port));
        });
  }

  /**
   * How long to wait for a ClientHello: the peek window, unless the port's authorizations refuse
   * this client as plaintext. Then only mesh TLS can get it in and a later decision loses nothing
   * (it would be closed either way), so a late client proxy gets until the ClientHello deadline.
   */
  private Duration window(Channel ch, InboundPolicy policy, int port) {
    return helloWait(policy.authorizations(), source(ch), port, peekWindow, headerTimeout);
  }

  static Duration helloWait(
      @Nullable List<Authorization> authorizations,
      InetAddress source,
      int port,
      Duration window,
      Duration deadline) {
    return Authorizer.refusal(authorizations, source, null, port) == null ? window : deadline;
  }

  /** A redirected connection's route if its port's authorizations admit the client, else null. */
  private @Nullable Route admit(Channel ch, InboundPolicy policy, Route r, int port) {
    Authorizer.Refusal refusal =
        Authorizer.check(policy.authorizations(), source(ch), InboundAccess.clientId(ch), port);
    if (refusal == null) {
      return r;
    }
    String why = refusal.detail();
    Route limited = routeLimited(ch, policy, r, refusal);
    if (limited != null) {
      return limited;
    }
    unauthorized(ch, refusal.reason(), why);
    if (policy.handling() instanceof Handling.Codec) {
      // A declared HTTP port: every request is answered 403 by the proxy, none forwarded.
      ch.attr(InboundAccess.REFUSED).set(why);
      return r;
    }
    return null; // closed before a byte reaches the application
  }

  /**
   * A refused client that some of the port's HTTP routes admit (the kubelet's probes under {@code
   * deny} or {@code *-authenticated}): served as HTTP/1 on a detect port (the kubelet speaks it),
   * or by the port's declared codec, and each request decided by {@link InboundAccess#GATE}: the
   * routes' requests pass, every other is answered 403 and counted in {@code
   * inbound_http_refused_total}; bytes that are not HTTP end the connection. Null when no route
   * admits the client (or the port is opaque: never HTTP to the proxy).
   */
  private @Nullable Route routeLimited(
      Channel ch, InboundPolicy policy, Route r, Authorizer.Refusal refusal) {
    if (policy.routes().isEmpty() || policy.handling() instanceof Handling.Opaque) {
      return null;
    }
    var admitting =
        Authorizer.routesAdmitting(policy.routes(), source(ch), InboundAccess.clientId(ch));
    if (admitting.isEmpty()) {
      return null;
    }
    ch.attr(InboundAccess.REFUSED).set(refusal.detail());
    ch.attr(InboundAccess.GATE)
        .set((method, uri) -> {
          String why =
              Authorizer.requestRefusal(policy.routes(), admitting, refusal.detail(), method, uri);
          if (why != null) {
            metrics.counter("inbound_http_refused_total", "reason", refusal.reason()).increment();
          }
          return why;
        });
    return policy.handling() instanceof Handling.Codec
        ? r
        : new Route(
            r.upstream(),
            new Handling.Codec(HttpVersion.HTTP_1),
            r.target(),
            r.endpoints(),
            r.mesh(),
            r.meshes());
  }

  /**
   * An application port with an identity of our own: mesh TLS when the client's first bytes are a
   * ClientHello naming us ({@link AppPortTls}; detection, or the declared codec, then runs on the
   * plaintext inside), the connection as it came otherwise (a foreign SNI passes through as TCP).
   */
  private CompletableFuture<@Nullable Route> peek(
      Channel ch, MeshTls tls, Route r, Duration window) {
    CompletableFuture<@Nullable Route> result = new CompletableFuture<>();
    AppPortTls.Outcome outcome =
        new AppPortTls.Outcome() {
          @Override
          public void plaintext(ChannelHandlerContext ctx, String why) {
            appTls("plaintext");
            log.debug(
                "inbound {} -> {}: relayed as it came ({})", ch.remoteAddress(), r.target(), why);
            result.complete(r);
          }

          @Override
          public void meshTls(ChannelHandlerContext ctx) {
            appTls("mesh_tls");
            result.complete(r);
          }

          @Override
          public void lateTls(Channel c) {
            appTls("late_tls");
            log.debug(
                "inbound {} -> {}: a late ClientHello named us: mesh TLS over the relay",
                c.remoteAddress(),
                r.target());
          }

          @Override
          public void lateHelloRefused(Channel c, String detail) {
            appTls("late_hello_refused");
            if (LOGGED.add("app:late_hello_refused")) {
              log.warn(
                  "inbound mesh TLS on {} from {} refused: {} (logged once, counted in"
                      + " inbound_app_port_tls_total{result=\"late_hello_refused\"})",
                  r.target(),
                  c.remoteAddress(),
                  detail);
            }
          }

          @Override
          public void refused(Channel c, String reason, String detail) {
            metrics.counter("inbound_app_tls_refused_total", "reason", reason).increment();
            if (LOGGED.add("app:" + reason)) {
              log.warn(
                  "inbound mesh TLS on {} from {} refused ({}): {} (logged once per reason,"
                      + " counted in inbound_app_tls_refused_total)",
                  r.target(),
                  c.remoteAddress(),
                  reason,
                  detail);
            }
            result.complete(null);
          }
        };
    ch.eventLoop()
        .execute(() -> {
          if (!ch.isActive()) {
            result.complete(null);
            return;
          }
          ch.pipeline()
              .addFirst(AppPortTls.NAME, new AppPortTls(tls, window, headerTimeout, outcome));
        });
    return result;
  }

  private void appTls(String result) {
    metrics.counter("inbound_app_port_tls_total", "result", result).increment();
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
                      authorize(ctx.channel(), h.port(), handlingOf(h), local, result);
                    }

                    @Override
                    public void refused(ChannelHandlerContext ctx, String reason, String detail) {
                      InboundRouter.this.refused(ctx.channel(), reason, detail);
                      result.complete(null);
                    }
                  }));
      tls.server(ch, ServerMode.TRANSPORT).addFirst(ch.pipeline());
      ByteCounter.countBehind(ch, AppPortTls.TLS_HANDLERS); // application bytes only
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
      Channel ch,
      int port,
      Handling handling,
      String local,
      CompletableFuture<@Nullable Route> result) {
    discovery
        .inboundPolicy(port, ch.closeFuture())
        .whenComplete((policy, err) ->
            ch.eventLoop()
                .execute(() -> {
                  Authorizer.Refusal why =
                      policy == null
                          ? new Authorizer.Refusal(
                              Authorizer.UNAUTHORIZED, "no policy for port " + port + ": " + err)
                          : Authorizer.check(
                              policy.authorizations(),
                              source(ch),
                              InboundAccess.clientId(ch),
                              port);
                  if (why != null) {
                    refused(ch, why.reason(), why.detail());
                    ch.close();
                    result.complete(null);
                    return;
                  }
                  InetSocketAddress app =
                      new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
                  result.complete(new Route(app, handling, local + ":" + port));
                }));
  }

  private static InetAddress source(Channel ch) {
    return ((InetSocketAddress) ch.remoteAddress()).getAddress();
  }

  /**
   * A redirected connection refused by its port's authorizations: counted, logged once per reason
   * ({@code unauthorized}, {@code networkpolicy}).
   */
  private void unauthorized(Channel ch, String reason, String why) {
    metrics.counter("inbound_refused_total", "reason", reason).increment();
    if (LOGGED.add("redirected:" + reason)) {
      log.warn(
          "inbound connection from {} refused ({}): {} (logged once per reason, counted in"
              + " inbound_refused_total)",
          ch.remoteAddress(),
          reason,
          why);
    } else if (log.isDebugEnabled()) {
      log.debug("inbound connection from {} refused ({}): {}", ch.remoteAddress(), reason, why);
    }
  }

  /** Why a header's port may not be served, or null. */
  @Nullable String forbidden(TransportHeader h) {
    int p = h.port();
    if (p == inboundPort || p == outboundPort || p == adminPort || p == CONTROL_PORT) {
      return "proxy_port";
    }
    if (skipPorts.contains(p)) {
      return "skipped_port";
    }
    return null;
  }

  /**
   * A header with a session protocol: the client proxy already knows the HTTP version, so that
   * codec serves the connection without sniffing; without one, opaque TCP.
   */
  static Handling handlingOf(TransportHeader h) {
    TransportHeader.SessionProtocol p = h.sessionProtocol();
    if (p == null) {
      return Handling.OPAQUE;
    }
    return switch (p) {
      case HTTP1 -> new Handling.Codec(HttpVersion.HTTP_1);
      case HTTP2 -> new Handling.Codec(HttpVersion.HTTP_2);
    };
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
