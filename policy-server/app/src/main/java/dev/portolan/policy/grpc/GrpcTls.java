package dev.portolan.policy.grpc;

import dev.portolan.policy.identity.IdentityDomain;
import dev.portolan.policy.identity.IdentityProperties;
import dev.portolan.policy.identity.IdentityService;
import dev.portolan.policy.identity.ServiceAccount;
import io.grpc.ServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.InternalNettyServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiators;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import java.time.Clock;
import java.time.Duration;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;

/**
 * TLS on the gRPC port (docs/identity.md, "The proxy's connection to the policy-server"): TLS 1.3
 * with the port's own certificate ({@link SelfCertificate}), a client certificate asked for but not
 * demanded (a proxy's first Certify has none) and verified against the trust anchors when given.
 * {@code optional} serves TLS and plaintext on one port ({@link TlsSniffingNegotiator}).
 */
public final class GrpcTls {
  private final GrpcTlsProperties.Mode mode;
  private final SelfCertificate self;

  private final IdentityDomain domain;

  private GrpcTls(GrpcTlsProperties.Mode mode, SelfCertificate self, IdentityDomain domain) {
    this.mode = mode;
    this.self = self;
    this.domain = domain;
  }

  IdentityDomain domain() {
    return domain;
  }

  /**
   * @param identity the identity service whose issuer signs the port's certificate
   * @param lifetime how long the port's certificate is valid (renewed at 70 %)
   */
  public static GrpcTls create(
      GrpcTlsProperties props, IdentityService identity, Duration lifetime, Clock clock) {
    if (props.tls() == GrpcTlsProperties.Mode.OFF) {
      throw new IllegalArgumentException("portolan.grpc.tls is off: no TLS to create");
    }
    String name =
        identity
            .domain()
            .identityOf(
                new ServiceAccount(
                    identity.domain().controlPlaneNamespace(), props.tlsServiceAccount()));
    SelfCertificate self = new SelfCertificate(identity.issuer(), lifetime, name, clock);
    self.init();
    return new GrpcTls(props.tls(), self, identity.domain());
  }

  /**
   * The port's TLS from the settings: null when {@code off}; with TLS on and no identity service a
   * refusal to start that names both settings.
   */
  static @Nullable GrpcTls fromSettings(
      GrpcTlsProperties props,
      @Nullable IdentityService identity,
      @Nullable IdentityProperties identityProps) {
    if (props.tls() == GrpcTlsProperties.Mode.OFF) {
      return null;
    }
    if (identity == null) {
      throw new IllegalArgumentException(
          "portolan.grpc.tls="
              + props.tls().name().toLowerCase(java.util.Locale.ROOT)
              + " needs the identity service, which issues the port's certificate:"
              + " set portolan.identity.enabled=true or portolan.grpc.tls=off");
    }
    Duration lifetime = identityProps != null ? identityProps.leafLifetime() : Duration.ofHours(24);
    return create(props, identity, lifetime, Clock.systemUTC());
  }

  public GrpcTlsProperties.Mode mode() {
    return mode;
  }

  /** The name in the port's certificate, which proxies expect (PORTOLAN_POLICY_SERVER_IDENTITY). */
  public String identity() {
    return self.identity();
  }

  /** The credentials to build the gRPC server with. */
  ServerCredentials credentials() {
    SslContext ssl = sslContext();
    return switch (mode) {
      case REQUIRED ->
          InternalNettyServerCredentials.create(InternalProtocolNegotiators.serverTls(ssl));
      case OPTIONAL -> InternalNettyServerCredentials.create(new TlsSniffingNegotiator(ssl));
      case OFF -> throw new IllegalStateException("portolan.grpc.tls is off");
    };
  }

  private SslContext sslContext() {
    try {
      // The JDK provider: it calls the key manager at every handshake, so a renewed certificate
      // reaches new connections without rebuilding the context.
      return GrpcSslContexts.configure(
              SslContextBuilder.forServer(self.keyManager()), SslProvider.JDK)
          .protocols("TLSv1.3")
          .clientAuth(ClientAuth.OPTIONAL)
          .trustManager(self.trustManager())
          .build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot build the gRPC port's TLS context", e);
    }
  }
}
