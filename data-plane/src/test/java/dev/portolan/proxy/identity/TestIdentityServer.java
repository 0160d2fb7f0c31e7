package dev.portolan.proxy.identity;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import dev.portolan.api.identity.CertifyRequest;
import dev.portolan.api.identity.CertifyResponse;
import dev.portolan.api.identity.IdentityGrpc;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A real gRPC Identity service on a loopback port, signing with a test CA: what the policy-server
 * does, minus the token review. What it answers can be changed between calls.
 */
final class TestIdentityServer implements AutoCloseable {
  final List<CertifyRequest> requests = new CopyOnWriteArrayList<>();
  private final Server server;
  private final TestPki.Ca issuer;
  private final Clock clock;
  private volatile Duration lifetime = Duration.ofSeconds(100);
  private volatile Function<CertifyRequest, CertifyResponse> answer = this::sign;

  /**
   * @param tlsLeaf the server's certificate, or null for plaintext
   */
  TestIdentityServer(TestPki.Ca issuer, Clock clock, TestPki.Leaf tlsLeaf) throws Exception {
    this.issuer = issuer;
    this.clock = clock;
    NettyServerBuilder b =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .directExecutor()
            .addService(
                new IdentityGrpc.IdentityImplBase() {
                  @Override
                  public void certify(
                      CertifyRequest request, StreamObserver<CertifyResponse> response) {
                    requests.add(request);
                    try {
                      response.onNext(answer.apply(request));
                      response.onCompleted();
                    } catch (io.grpc.StatusRuntimeException e) {
                      response.onError(e);
                    }
                  }
                });
    if (tlsLeaf != null) {
      X509Certificate[] chain = new X509Certificate[1 + tlsLeaf.intermediates().size()];
      chain[0] = tlsLeaf.cert();
      for (int i = 0; i < tlsLeaf.intermediates().size(); i++) {
        chain[i + 1] = tlsLeaf.intermediates().get(i);
      }
      b.sslContext(
          GrpcSslContexts.configure(
                  io.netty.handler.ssl.SslContextBuilder.forServer(
                      tlsLeaf.keys().getPrivate(), chain))
              .build());
    }
    this.server = b.build().start();
  }

  String address() {
    return "127.0.0.1:" + server.getPort();
  }

  void lifetime(Duration d) {
    lifetime = d;
  }

  /** From now on every call fails with {@code status}. */
  void fail(Status status) {
    answer =
        r -> {
          throw status.asRuntimeException();
        };
  }

  void answer(Function<CertifyRequest, CertifyResponse> f) {
    answer = f;
  }

  void signAgain() {
    answer = this::sign;
  }

  /** Signs the request's CSR for {@link #lifetime} from the (virtual) now. */
  CertifyResponse sign(CertifyRequest request) {
    Instant now = clock.instant();
    X509Certificate leaf =
        issuer.issueFromCsr(
            request.getCertificateSigningRequest().toByteArray(), now, now.plus(lifetime));
    CertifyResponse.Builder r =
        CertifyResponse.newBuilder()
            .setLeafCertificate(der(leaf))
            .setValidUntil(
                Timestamp.newBuilder().setSeconds(leaf.getNotAfter().toInstant().getEpochSecond()));
    for (X509Certificate c : issuer.chainBelowRoot()) {
      r.addIntermediateCertificates(der(c));
    }
    return r.build();
  }

  static ByteString der(X509Certificate c) {
    try {
      return ByteString.copyFrom(c.getEncoded());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    server.shutdownNow();
  }
}
