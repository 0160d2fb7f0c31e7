package dev.portolan.proxy.tls;

import dev.portolan.proxy.identity.IdentityNames;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;

/**
 * Sits right behind the {@link SslHandler}: turns the handshake's outcome into one {@link
 * MeshTlsEvent}, after the checks TLS itself cannot make (a required client certificate naming an
 * identity, the negotiated ALPN). On success it records the {@link MeshTlsSession} on the channel
 * and leaves the pipeline; on refusal it closes the channel and drops whatever was read.
 */
public final class MeshTlsVerifier extends ChannelInboundHandlerAdapter {
  private final SslHandler ssl;
  private final boolean server;
  private final @Nullable String expectedIdentity;
  private final boolean requireClientCertificate;
  private final boolean requireTransportAlpn;
  private boolean refused;

  MeshTlsVerifier(
      SslHandler ssl,
      boolean server,
      @Nullable String expectedIdentity,
      boolean requireClientCertificate,
      boolean requireTransportAlpn) {
    this.ssl = ssl;
    this.server = server;
    this.expectedIdentity = expectedIdentity;
    this.requireClientCertificate = requireClientCertificate;
    this.requireTransportAlpn = requireTransportAlpn;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (refused) {
      return; // the refusal was the connection's last word (no close_notify events after it)
    }
    if (!(evt instanceof SslHandshakeCompletionEvent done)) {
      ctx.fireUserEventTriggered(evt);
      return;
    }
    if (!done.isSuccess()) {
      Throwable cause = done.cause();
      refuse(ctx, classify(cause), describe(cause));
      return;
    }
    SSLSession session = ssl.engine().getSession();
    String alpn = ssl.applicationProtocol();
    if (requireTransportAlpn && !MeshTls.TRANSPORT_ALPN.equals(alpn)) {
      refuse(
          ctx,
          TlsRefusal.NO_ALPN,
          "ALPN " + MeshTls.TRANSPORT_ALPN + " not negotiated (got " + alpn + ")");
      return;
    }
    String peer = server ? clientIdentity(session) : expectedIdentity;
    if (server && peer == null && requireClientCertificate) {
      refuse(
          ctx,
          TlsRefusal.NO_CLIENT_CERTIFICATE,
          "the client presented no certificate naming an identity");
      return;
    }
    MeshTlsSession s =
        new MeshTlsSession(server, peer, alpn, session.getProtocol(), session.getCipherSuite());
    ctx.channel().attr(MeshTlsSession.KEY).set(s);
    ctx.fireUserEventTriggered(new MeshTlsEvent.Established(s));
    ctx.pipeline().remove(this);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (refused) {
      ReferenceCountUtil.release(msg);
      return;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (refused) {
      return; // the handshake failure was reported already: no second report, no log
    }
    if (isTlsFailure(cause)) {
      // Some providers raise the failure before the completion event: report it now, once.
      refuse(ctx, classify(cause), describe(cause));
      return;
    }
    ctx.fireExceptionCaught(cause);
  }

  private void refuse(ChannelHandlerContext ctx, TlsRefusal why, String detail) {
    refused = true;
    ctx.fireUserEventTriggered(new MeshTlsEvent.Refused(why, detail));
    ctx.close();
  }

  /** The first DNS SAN of the verified client leaf; null without a certificate or a DNS SAN. */
  private static @Nullable String clientIdentity(SSLSession session) {
    Certificate[] peer;
    try {
      peer = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
    if (peer.length == 0 || !(peer[0] instanceof X509Certificate leaf)) {
      return null;
    }
    List<String> names = IdentityNames.dnsNames(leaf);
    return names.isEmpty() ? null : names.getFirst();
  }

  private static boolean isTlsFailure(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SSLException) {
        return true;
      }
    }
    return false;
  }

  /** The reason a handshake failed, from its exception and causes. */
  static TlsRefusal classify(@Nullable Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof MeshCertificateException m) {
        return m.refusal();
      }
      if (c instanceof NotSslRecordException) {
        return TlsRefusal.PLAINTEXT;
      }
    }
    return TlsRefusal.HANDSHAKE;
  }

  /** Our own message when the trust manager refused, else the chain of messages. */
  static String describe(@Nullable Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof MeshCertificateException m) {
        return String.valueOf(m.getMessage());
      }
      if (c instanceof NotSslRecordException) {
        return "the first bytes are not a TLS record"; // its own message dumps them: payload
      }
    }
    StringBuilder b = new StringBuilder();
    for (Throwable c = t; c != null && b.length() < 300; c = c.getCause()) {
      if (!b.isEmpty()) {
        b.append(" <- ");
      }
      b.append(c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage());
    }
    return b.isEmpty() ? "handshake failed" : b.toString();
  }
}
