package dev.portolan.proxy.tls;

import dev.portolan.proxy.identity.IdentityUnavailableException;
import dev.portolan.proxy.metrics.Metrics;
import dev.portolan.proxy.route.MeshTarget;
import dev.portolan.proxy.transport.TransportHeader;
import dev.portolan.proxy.transport.TransportHeaderCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mesh TLS on a connection to a peer proxy (docs/design/outbound.md): to its inbound port, the
 * handshake with ALPN {@code transport.l5d.io/v1}, the server's SAN checked against the endpoint's
 * identity, then the transport header naming the real port (and the session protocol when the bytes
 * are HTTP the client proxy already parsed), and only then the relay or the HTTP codec; to the
 * application port (no {@code opaque_transport}), the same handshake without ALPN and without a
 * header, as linkerd2-proxy does for HTTP. A refusal is counted in {@code
 * outbound_tls_refused_total{reason}} and logged once per reason; the connection never falls back
 * to plaintext.
 */
public final class MeshUpstream extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(MeshUpstream.class);
  private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();
  private static final String NAME = "mesh-upstream";

  private final MeshTarget target;
  private final int port;
  private final Metrics metrics;
  private final String targetAddr;
  private final TransportHeader.@Nullable SessionProtocol protocol;
  private final Consumer<@Nullable String> done;
  private @Nullable ByteBuf early;
  private boolean finished;

  private MeshUpstream(
      MeshTarget target,
      int port,
      TransportHeader.@Nullable SessionProtocol protocol,
      Metrics metrics,
      String targetAddr,
      Consumer<@Nullable String> done) {
    this.target = target;
    this.port = port;
    this.protocol = protocol;
    this.metrics = metrics;
    this.targetAddr = targetAddr;
    this.done = done;
  }

  /**
   * Starts the handshake on a connected {@code upstream} for opaque bytes; {@code done} is called
   * once on its event loop: true when the header is written (install the relay then), false when
   * refused (closed).
   *
   * @param port the real port of the endpoint, named by the transport header
   */
  public static void secure(
      Channel upstream,
      @Nullable MeshTls mesh,
      MeshTarget target,
      int port,
      Metrics metrics,
      String targetAddr,
      Consumer<Boolean> done) {
    secure(
        upstream, mesh, target, port, null, metrics, targetAddr, why -> done.accept(why == null));
  }

  /**
   * Starts the handshake on a connected {@code upstream}; {@code done} is called once on its event
   * loop: with null when the connection is ready (install what reads and writes it then: early
   * bytes from the server follow right after), else with the refusal's reason label (closed).
   *
   * @param port the real port of the endpoint, named by the transport header
   * @param protocol the session protocol the transport header names (HTTP the client proxy parsed,
   *     so the server proxy skips detection); null for opaque bytes. Unused without {@code
   *     opaque_transport}: there is no header then.
   */
  public static void secure(
      Channel upstream,
      @Nullable MeshTls mesh,
      MeshTarget target,
      int port,
      TransportHeader.@Nullable SessionProtocol protocol,
      Metrics metrics,
      String targetAddr,
      Consumer<@Nullable String> done) {
    if (mesh == null) {
      refused(metrics, targetAddr, TlsRefusal.NO_IDENTITY.label(), "identity is disabled");
      upstream.close();
      done.accept(TlsRefusal.NO_IDENTITY.label());
      return;
    }
    try {
      var handlers =
          mesh.client(
              upstream,
              target.identity(),
              target.opaqueTransport() ? target.transportPort() : port,
              target.opaqueTransport());
      upstream
          .pipeline()
          .addLast(NAME, new MeshUpstream(target, port, protocol, metrics, targetAddr, done));
      handlers.addFirst(upstream.pipeline());
    } catch (IdentityUnavailableException e) {
      refused(metrics, targetAddr, TlsRefusal.NO_IDENTITY.label(), String.valueOf(e.getMessage()));
      upstream.close();
      done.accept(TlsRefusal.NO_IDENTITY.label());
      return;
    }
    upstream.read();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    switch (evt) {
      case MeshTlsEvent.Established e when !target.opaqueTransport() -> finish(ctx, null);
      case MeshTlsEvent.Established e -> {
        byte[] header = TransportHeaderCodec.encode(new TransportHeader(port, "", protocol));
        ctx.writeAndFlush(Unpooled.wrappedBuffer(header))
            .addListener(
                (ChannelFutureListener)
                    f -> {
                      if (f.isSuccess()) {
                        finish(ctx, null);
                      } else {
                        refused(metrics, targetAddr, "write_failed", String.valueOf(f.cause()));
                        finish(ctx, "write_failed");
                      }
                    });
      }
      case MeshTlsEvent.Refused r -> {
        refused(
            metrics, targetAddr, r.refusal().label(), r.detail() + " (" + target.identity() + ")");
        finish(ctx, r.refusal().label());
      }
      default -> ctx.fireUserEventTriggered(evt);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (finished || !(msg instanceof ByteBuf b)) {
      ctx.fireChannelRead(msg);
      return;
    }
    // The server's first bytes (a server-first app) while the header is being written: kept for
    // the relay, which is not installed yet.
    if (early == null) {
      early = ctx.alloc().buffer(b.readableBytes());
    }
    early.writeBytes(b);
    b.release();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (!finished) {
      refused(metrics, targetAddr, TlsRefusal.HANDSHAKE.label(), "closed during the handshake");
      finish(ctx, TlsRefusal.HANDSHAKE.label());
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }

  /** {@code refusal}: null when ready, else the reason label. */
  private void finish(ChannelHandlerContext ctx, @Nullable String refusal) {
    if (finished) {
      return;
    }
    finished = true;
    ByteBuf held = early;
    early = null;
    if (refusal != null) {
      if (held != null) {
        held.release();
      }
      ctx.close();
      done.accept(refusal);
      return;
    }
    done.accept(null); // installs the relay (or the HTTP codec) behind this handler
    if (held != null) {
      ctx.fireChannelRead(held);
    }
    ctx.pipeline().remove(this);
  }

  private static void refused(Metrics metrics, String targetAddr, String reason, String detail) {
    metrics
        .counter(
            "outbound_tls_refused_total",
            "direction",
            "outbound",
            "target_addr",
            targetAddr,
            "reason",
            reason)
        .increment();
    if (LOGGED.add(reason)) {
      log.warn(
          "outbound mesh TLS to {} refused ({}): {}; no plaintext fallback (logged once per"
              + " reason, counted in outbound_tls_refused_total)",
          targetAddr,
          reason,
          detail);
    } else if (log.isDebugEnabled()) {
      log.debug("outbound mesh TLS to {} refused ({}): {}", targetAddr, reason, detail);
    }
  }
}
