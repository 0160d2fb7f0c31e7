package dev.portolan.proxy.tls;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import org.jspecify.annotations.Nullable;

/**
 * A verified mesh TLS connection, recorded on its channel ({@link #of(Channel)}) once the handshake
 * and the checks after it succeeded.
 *
 * @param server true on the accepting side
 * @param peerIdentity the peer's mesh identity (SAN DNS of its verified leaf): the server's on a
 *     client connection (equal to the expected one), the client's on a server connection (for
 *     {@code l5d-client-id}, {@code client_id} labels and authorizations); null when a server that
 *     does not require a client certificate got none
 * @param alpn the negotiated application protocol, null when none
 * @param protocol {@code TLSv1.3}
 * @param cipherSuite e.g. {@code TLS_AES_128_GCM_SHA256}
 */
public record MeshTlsSession(
    boolean server,
    @Nullable String peerIdentity,
    @Nullable String alpn,
    String protocol,
    String cipherSuite) {
  static final AttributeKey<MeshTlsSession> KEY = AttributeKey.valueOf("portolan.meshTls");

  /** The session recorded on {@code channel}, null before the handshake was verified (or never). */
  public static @Nullable MeshTlsSession of(Channel channel) {
    return channel.attr(KEY).get();
  }

  public boolean transport() {
    return MeshTls.TRANSPORT_ALPN.equals(alpn);
  }
}
