package dev.portolan.policy.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.portolan.api.destination.DestinationGrpc;
import dev.portolan.api.destination.GetDestination;
import dev.portolan.api.identity.CertifyRequest;
import dev.portolan.api.identity.IdentityGrpc;
import dev.portolan.api.inbound.InboundServerPoliciesGrpc;
import dev.portolan.api.inbound.PortSpec;
import dev.portolan.policy.identity.CertificateAuthority;
import dev.portolan.policy.identity.IdentityService;
import dev.portolan.policy.identity.IssuerCredentials;
import dev.portolan.policy.identity.TestCsrs;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * The whole application with {@code portolan.grpc.tls=optional} over real gRPC: TLS and plaintext
 * on the same port, Certify over TLS without a client certificate, the namespace check on mTLS
 * requests, and a client that refuses a server from another trust root.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {
      "portolan.grpc.port=0",
      "portolan.grpc.tls=optional",
      "portolan.manifests.dir=../../examples",
      "portolan.identity.insecure-accept-any-token=true",
      "portolan.identity.trust-anchor-out=${java.io.tmpdir}/portolan-grpc-tls-test/anchor.pem"
    })
class GrpcTlsTest {
  static final String SERVER =
      "portolan-policy.portolan.serviceaccount.identity.portolan.cluster.local";
  static final String WEB = "web.shop.serviceaccount.identity.portolan.cluster.local";

  @Autowired GrpcServer grpc;
  @Autowired IdentityService identity;
  @Autowired MeterRegistry registry;
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void close() {
    channels.forEach(ManagedChannel::shutdownNow);
  }

  private ManagedChannel plaintext() {
    ManagedChannel ch =
        ManagedChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
    channels.add(ch);
    return ch;
  }

  /** TLS verifying the server against {@code anchors}; with a client certificate when given. */
  private ManagedChannel tls(
      List<X509Certificate> anchors, @org.jspecify.annotations.Nullable Client client)
      throws Exception {
    SslContextBuilder b =
        GrpcSslContexts.forClient().trustManager(anchors.toArray(X509Certificate[]::new));
    if (client != null) {
      b.keyManager(client.keys().getPrivate(), client.chain().toArray(X509Certificate[]::new));
    }
    ManagedChannel ch =
        NettyChannelBuilder.forAddress("127.0.0.1", grpc.port())
            .sslContext(b.protocols("TLSv1.3").build())
            .overrideAuthority(SERVER)
            .build();
    channels.add(ch);
    return ch;
  }

  record Client(KeyPair keys, List<X509Certificate> chain) {}

  private Client clientFor(String name) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair keys = g.generateKeyPair();
    IssuerCredentials creds = identity.issuer().current();
    CertificateAuthority.Leaf leaf =
        new CertificateAuthority(Duration.ofHours(1), Duration.ofSeconds(20), Clock.systemUTC())
            .issue(creds, SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded()), name);
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(leaf.certificate());
    chain.addAll(leaf.intermediates());
    return new Client(keys, chain);
  }

  private List<X509Certificate> anchors() throws Exception {
    return identity.issuer().current().trustAnchors();
  }

  private static HealthCheckRequest health() {
    return HealthCheckRequest.getDefaultInstance();
  }

  private double refused() {
    var c = registry.find("portolan.grpc.refused").tag("reason", "identity-namespace").counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void optional_serves_plaintext_and_tls_on_the_same_port() throws Exception {
    assertThat(
            HealthGrpc.newBlockingStub(plaintext())
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(health()))
        .isNotNull();
    assertThat(
            HealthGrpc.newBlockingStub(tls(anchors(), null))
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(health()))
        .isNotNull();
  }

  @Test
  void certify_works_over_tls_without_a_client_certificate() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    var r =
        IdentityGrpc.newBlockingStub(tls(anchors(), null))
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .certify(
                CertifyRequest.newBuilder()
                    .setIdentity(WEB)
                    .setToken(ByteString.copyFromUtf8("any"))
                    .setCertificateSigningRequest(ByteString.copyFrom(TestCsrs.forIdentity(WEB)))
                    .build());
    assertThat(r.getLeafCertificate().isEmpty()).isFalse();
  }

  @Test
  void a_client_of_another_trust_root_refuses_the_server() throws Exception {
    IssuerCredentials other =
        CertificateAuthority.generate(
            "root.other", "issuer.other", Instant.now(), Duration.ofDays(1), Duration.ZERO);
    var stub =
        HealthGrpc.newBlockingStub(tls(other.trustAnchors(), null))
            .withDeadlineAfter(10, TimeUnit.SECONDS);
    assertThatThrownBy(() -> stub.check(health()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  @Test
  void a_request_for_the_certificates_namespace_is_served() throws Exception {
    var stub =
        InboundServerPoliciesGrpc.newBlockingStub(tls(anchors(), clientFor(WEB)))
            .withDeadlineAfter(10, TimeUnit.SECONDS);
    var server =
        stub.getPort(PortSpec.newBuilder().setWorkload("shop:redis-0").setPort(6379).build());
    assertThat(server).isNotNull();
  }

  @Test
  void a_request_for_another_namespace_is_refused_and_counted() throws Exception {
    ManagedChannel ch = tls(anchors(), clientFor(WEB));
    double before = refused();
    var inbound =
        InboundServerPoliciesGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
    assertThatThrownBy(() ->
            inbound.getPort(
                PortSpec.newBuilder().setWorkload("other:redis-0").setPort(6379).build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
              assertThat(e.getStatus().getDescription()).contains("shop").contains("other");
            });
    var it =
        DestinationGrpc.newBlockingStub(ch)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .get(
                GetDestination.newBuilder()
                    .setPath("redis.shop.svc.cluster.local:6379")
                    .setContextToken("{\"ns\":\"other\",\"nodeName\":\"\",\"pod\":\"x\"}")
                    .build());
    assertThatThrownBy(it::hasNext)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
    assertThat(refused()).isEqualTo(before + 2);
    // Plaintext carries no certificate: the same request is not checked (and finds no such pod).
    assertThatThrownBy(() ->
            InboundServerPoliciesGrpc.newBlockingStub(plaintext())
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .getPort(PortSpec.newBuilder().setWorkload("other:redis-0").setPort(6379).build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
  }
}
