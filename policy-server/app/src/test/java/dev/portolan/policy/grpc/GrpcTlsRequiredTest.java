package dev.portolan.policy.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portolan.policy.identity.IdentityService;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

/** {@code portolan.grpc.tls=required}: TLS is served, plaintext is refused on the same port. */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {
      "portolan.grpc.port=0",
      "portolan.grpc.tls=required",
      "portolan.manifests.dir=../../examples",
      "portolan.identity.insecure-accept-any-token=true",
      "portolan.identity.trust-anchor-out=${java.io.tmpdir}/portolan-grpc-tls-required/anchor.pem"
    })
class GrpcTlsRequiredTest {
  @Autowired GrpcServer grpc;
  @Autowired IdentityService identity;

  @Test
  void plaintext_is_refused_and_tls_served() throws Exception {
    ManagedChannel plain =
        ManagedChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
    ManagedChannel tls =
        NettyChannelBuilder.forAddress("127.0.0.1", grpc.port())
            .sslContext(
                GrpcSslContexts.forClient()
                    .trustManager(
                        identity.issuer().current().trustAnchors().toArray(X509Certificate[]::new))
                    .build())
            .overrideAuthority(GrpcTlsTest.SERVER)
            .build();
    try {
      var req = HealthCheckRequest.getDefaultInstance();
      assertThatThrownBy(() ->
              HealthGrpc.newBlockingStub(plain).withDeadlineAfter(10, TimeUnit.SECONDS).check(req))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
      assertThat(HealthGrpc.newBlockingStub(tls).withDeadlineAfter(10, TimeUnit.SECONDS).check(req))
          .isNotNull();
    } finally {
      plain.shutdownNow();
      tls.shutdownNow();
    }
  }
}
