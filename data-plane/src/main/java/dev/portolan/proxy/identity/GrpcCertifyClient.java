package dev.portolan.proxy.identity;

import dev.portolan.api.identity.CertifyRequest;
import dev.portolan.api.identity.CertifyResponse;
import dev.portolan.api.identity.IdentityGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;

/**
 * Certify over gRPC on the proxy's own Netty. With TLS the proxy has no certificate yet, so this is
 * one-way TLS: the policy-server's chain is verified against the trust anchors and its name against
 * the configured server name (the channel's authority, so SNI carries it too).
 */
public final class GrpcCertifyClient implements CertifyClient {
  private final ManagedChannel channel;
  private final IdentityGrpc.IdentityStub stub;

  /**
   * @param loop the event loop group to run on (the proxy's admin loop), or null for grpc-java's
   *     own
   * @param channelType the socket channel class of {@code loop}; ignored when {@code loop} is null
   */
  public GrpcCertifyClient(
      IdentityConfig config,
      TrustAnchors anchors,
      @Nullable EventLoopGroup loop,
      @Nullable Class<? extends Channel> channelType) {
    NettyChannelBuilder b =
        NettyChannelBuilder.forTarget(config.address())
            .directExecutor()
            .maxInboundMessageSize(1 << 20);
    if (loop != null && channelType != null) {
      b.eventLoopGroup(loop).channelType(channelType);
    }
    switch (config.mode()) {
      case TLS -> b.sslContext(sslContext(anchors)).overrideAuthority(config.serverName());
      case PLAINTEXT -> b.usePlaintext();
      case DISABLED -> throw new IllegalArgumentException("identity is disabled: no Certify");
    }
    this.channel = b.build();
    this.stub = IdentityGrpc.newStub(channel);
  }

  private static SslContext sslContext(TrustAnchors anchors) {
    try {
      // grpc-java's hostname check (the authority, i.e. the server name) runs on top of the chain
      // check of this trust manager.
      return GrpcSslContexts.forClient().trustManager(anchors.pkixTrustManager()).build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot build the TLS context for Certify", e);
    }
  }

  @Override
  public CompletableFuture<CertifyResponse> certify(CertifyRequest request, Duration timeout) {
    CompletableFuture<CertifyResponse> result = new CompletableFuture<>();
    stub.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)
        .certify(
            request,
            new StreamObserver<>() {
              @Override
              public void onNext(CertifyResponse value) {
                result.complete(value);
              }

              @Override
              public void onError(Throwable t) {
                result.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {
                result.completeExceptionally(
                    new IllegalStateException("Certify completed without an answer"));
              }
            });
    return result;
  }

  @Override
  public void close() {
    channel.shutdownNow();
  }
}
