package dev.portolan.proxy.identity;

import dev.portolan.api.identity.CertifyRequest;
import dev.portolan.api.identity.CertifyResponse;
import dev.portolan.proxy.grpc.GrpcChannel;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;

/**
 * Certify over gRPC on the proxy's own Netty. With TLS the proxy has no certificate yet, so this is
 * one-way TLS: the policy-server's chain is verified against the trust anchors and its name against
 * the configured server name (the channel's authority, so SNI carries it too).
 */
public final class GrpcCertifyClient implements CertifyClient {
  private static final String CERTIFY = "/io.linkerd.proxy.identity.Identity/Certify";
  private static final int MAX_MESSAGE_BYTES = 1 << 20;

  private final GrpcChannel channel;

  /**
   * @param verifier checks the policy-server's chain against the trust anchors and that it names
   *     {@code config.serverName()} (the mesh's verifier)
   * @param loop the event loop group to run on (the proxy's admin loop), or null for a loop of the
   *     client's own
   * @param channelType the socket channel class of {@code loop}; ignored when {@code loop} is null
   */
  public GrpcCertifyClient(
      IdentityConfig config,
      X509ExtendedTrustManager verifier,
      @Nullable EventLoopGroup loop,
      @Nullable Class<? extends Channel> channelType) {
    SslContext tls =
        switch (config.mode()) {
          case TLS -> sslContext(verifier);
          case PLAINTEXT -> null;
          case DISABLED -> throw new IllegalArgumentException("identity is disabled: no Certify");
        };
    String authority = tls == null ? null : config.serverName();
    this.channel =
        loop != null && channelType != null
            ? new GrpcChannel(
                config.address(), loop, channelType, tls, authority, Duration.ofSeconds(30))
            : GrpcChannel.standalone(config.address(), tls, authority);
  }

  private static SslContext sslContext(X509ExtendedTrustManager verifier) {
    try {
      return GrpcChannel.tlsClient(verifier).build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot build the TLS context for Certify", e);
    }
  }

  @Override
  public CompletableFuture<CertifyResponse> certify(CertifyRequest request, Duration timeout) {
    return channel.first(CERTIFY, request, CertifyResponse.parser(), MAX_MESSAGE_BYTES, timeout);
  }

  @Override
  public void close() {
    channel.close();
  }
}
