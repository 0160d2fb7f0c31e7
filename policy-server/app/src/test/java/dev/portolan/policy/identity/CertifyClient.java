package dev.portolan.policy.identity;

import com.google.protobuf.ByteString;
import dev.portolan.api.identity.CertifyRequest;
import dev.portolan.api.identity.CertifyResponse;
import dev.portolan.api.identity.IdentityGrpc;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** A real gRPC server on a loopback port serving one service, and a grpc-java client for it. */
final class CertifyClient implements AutoCloseable {
  private final Server server;
  private final ManagedChannel channel;
  private final IdentityGrpc.IdentityBlockingStub stub;

  CertifyClient(BindableService service) {
    try {
      server =
          NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
              .addService(service)
              .build()
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    stub = IdentityGrpc.newBlockingStub(channel);
  }

  /** A client for an already running server (the Spring-wired one). */
  static IdentityGrpc.IdentityBlockingStub stub(ManagedChannel channel) {
    return IdentityGrpc.newBlockingStub(channel);
  }

  CertifyResponse certify(String identity, String token, byte[] csr) {
    return stub.withDeadlineAfter(10, TimeUnit.SECONDS).certify(request(identity, token, csr));
  }

  static CertifyRequest request(String identity, String token, byte[] csr) {
    return CertifyRequest.newBuilder()
        .setIdentity(identity)
        .setToken(ByteString.copyFrom(token, StandardCharsets.UTF_8))
        .setCertificateSigningRequest(ByteString.copyFrom(csr))
        .build();
  }

  static X509Certificate certificate(ByteString der) {
    try {
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(new ByteArrayInputStream(der.toByteArray()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The leaf and intermediates of an answer, validated by the JDK's PKIX validator. */
  static void validate(CertifyResponse r, X509Certificate anchor) throws GeneralSecurityException {
    List<X509Certificate> path = new ArrayList<>();
    path.add(certificate(r.getLeafCertificate()));
    r.getIntermediateCertificatesList().forEach(d -> path.add(certificate(d)));
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(anchor, null)));
    params.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX")
        .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
