package dev.portolan.policy.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.portolan.api.identity.CertifyResponse;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.utils.ResponseProvider;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertPathValidatorException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Certify in cluster mode over real gRPC, against the fabric8 mock API server: the issuer comes
 * from a Secret in its CRUD store, and TokenReview (a create the CRUD store would only echo back)
 * is answered by an expectation that plays the API server's authenticator from a token table.
 */
@EnableKubernetesMockClient(crud = true)
class ClusterCertifyTest {
  static final String NS = "portolan";
  static final String SECRET = "portolan-identity-issuer";
  static final String WEB = ManifestsCertifyTest.WEB;
  static final String API = ManifestsCertifyTest.API;
  static final String TOKEN_REVIEWS = "/apis/authentication.k8s.io/v1/tokenreviews";
  static final String API_DOWN = "token-while-the-api-server-fails";
  static final String FORBIDDEN = "token-while-rbac-denies-tokenreviews";

  static KubernetesMockServer server;
  static KubernetesClient client;
  // What the fake authenticator knows, and what it was asked.
  static final Map<String, TokenReviewStatus> known = new ConcurrentHashMap<>();
  static final List<TokenReview> asked = new CopyOnWriteArrayList<>();

  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final MutableClock clock = new MutableClock(Instant.now());
  @Nullable CertifyClient certify;

  @BeforeEach
  void reset() {
    server.clearExpectations();
    server.expect().post().withPath(TOKEN_REVIEWS).andReply(new FakeAuthenticator()).always();
    known.clear();
    asked.clear();
    client.secrets().inNamespace(NS).withName(SECRET).delete();
    known.put("web-token", serviceAccount("shop", "web"));
    known.put("api-token", serviceAccount("shop", "api"));
    known.put(
        "admin-token",
        new TokenReviewStatusBuilder()
            .withAuthenticated(true)
            .withNewUser()
            .withUsername("kubernetes-admin")
            .endUser()
            .build());
  }

  @AfterEach
  void close() throws InterruptedException {
    if (certify != null) {
      certify.close();
    }
  }

  static TokenReviewStatus serviceAccount(String ns, String sa) {
    return new TokenReviewStatusBuilder()
        .withAuthenticated(true)
        .withAudiences("https://kubernetes.default.svc")
        .withNewUser()
        .withUsername("system:serviceaccount:" + ns + ":" + sa)
        .endUser()
        .build();
  }

  CertifyClient start(List<String> audiences) {
    IdentityService service =
        new IdentityService(
            ManifestsCertifyTest.DOMAIN,
            new TokenReviewAuthenticator(client, audiences, Duration.ofSeconds(2)),
            new SecretIssuer(
                client, NS, SECRET, Duration.ofSeconds(10), Duration.ofSeconds(2), clock),
            new CertificateAuthority(Duration.ofHours(24), Duration.ofSeconds(20), clock),
            new IdentityMetrics(registry));
    certify = new CertifyClient(service);
    return certify;
  }

  static IssuerCredentials issuerSecret() {
    IssuerCredentials c =
        CertificateAuthority.generate(
            "root.portolan.cluster.local",
            "identity.portolan.cluster.local",
            Instant.now(),
            Duration.ofDays(30),
            Duration.ofSeconds(20));
    writeSecret(
        Pem.encode(c.trustAnchors()), Pem.encode(c.chain()), ManifestsCertifyTest.pkcs8(c.key()));
    return c;
  }

  static void writeSecret(String ca, String crt, String key) {
    Secret s =
        new SecretBuilder()
            .withNewMetadata()
            .withName(SECRET)
            .withNamespace(NS)
            .endMetadata()
            .withType("kubernetes.io/tls")
            .addToData("ca.crt", b64(ca))
            .addToData("tls.crt", b64(crt))
            .addToData("tls.key", b64(key))
            .build();
    client.secrets().inNamespace(NS).resource(s).createOr(op -> op.update());
  }

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.US_ASCII));
  }

  double count(String result, String reason) {
    return registry
        .get(IdentityMetrics.CERTIFY)
        .tag("result", result)
        .tag("reason", reason)
        .counter()
        .count();
  }

  static StatusRuntimeException refused(Runnable call) {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
    assertThat(e).as("a refusal").isNotNull();
    return e;
  }

  @Test
  void a_token_the_api_server_authenticates_gets_a_leaf_chained_to_the_secrets_anchor()
      throws Exception {
    IssuerCredentials issuer = issuerSecret();
    CertifyClient c = start(List.of());

    CertifyResponse r = c.certify(WEB, "web-token", Csrs.forIdentity(WEB));

    CertifyClient.validate(r, issuer.trustAnchors().getFirst());
    assertThat(CertifyClient.certificate(r.getLeafCertificate()).getSubjectAlternativeNames())
        .containsExactly(List.of(2, WEB));
    assertThat(asked).hasSize(1);
    assertThat(asked.getFirst().getSpec().getToken()).isEqualTo("web-token");
    assertThat(asked.getFirst().getSpec().getAudiences()).isNullOrEmpty();
    assertThat(count("issued", "ok")).isEqualTo(1.0);
    assertThat(registry.get(IdentityMetrics.ISSUER_EXPIRY).gauge().value())
        .isEqualTo(issuer.issuer().getNotAfter().toInstant().getEpochSecond());
  }

  @Test
  void a_csr_for_another_identity_than_the_tokens_service_account_is_refused() {
    issuerSecret();
    CertifyClient c = start(List.of());

    StatusRuntimeException e = refused(() -> c.certify(API, "web-token", Csrs.forIdentity(API)));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(e.getStatus().getDescription())
        .contains("ServiceAccount shop/web")
        .contains("shop/api")
        .doesNotContain("web-token");
    assertThat(count("refused", "wrong_service_account")).isEqualTo(1.0);
  }

  @Test
  void a_token_review_that_says_unauthenticated_is_refused() {
    issuerSecret();
    known.put(
        "expired-token",
        new TokenReviewStatusBuilder()
            .withAuthenticated(false)
            .withError("token has expired")
            .build());
    CertifyClient c = start(List.of());

    StatusRuntimeException expired =
        refused(() -> c.certify(WEB, "expired-token", Csrs.forIdentity(WEB)));
    StatusRuntimeException unknown =
        refused(() -> c.certify(WEB, "never-issued-token", Csrs.forIdentity(WEB)));
    StatusRuntimeException empty = refused(() -> c.certify(WEB, "", Csrs.forIdentity(WEB)));

    assertThat(List.of(expired, unknown, empty))
        .allSatisfy(
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    assertThat(expired.getStatus().getDescription())
        .contains("token has expired")
        .doesNotContain("expired-token");
    assertThat(unknown.getStatus().getDescription()).doesNotContain("never-issued-token");
    assertThat(asked).hasSize(2); // an empty token never reaches the API server
    assertThat(count("refused", "unauthenticated")).isEqualTo(3.0);
  }

  @Test
  void a_token_of_a_user_that_is_not_a_service_account_is_refused() {
    issuerSecret();
    CertifyClient c = start(List.of());

    StatusRuntimeException e = refused(() -> c.certify(WEB, "admin-token", Csrs.forIdentity(WEB)));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(e.getStatus().getDescription()).contains("kubernetes-admin");
  }

  @Test
  void a_failing_token_review_is_unavailable_and_counted() {
    issuerSecret();
    CertifyClient c = start(List.of());

    StatusRuntimeException forbidden =
        refused(() -> c.certify(WEB, FORBIDDEN, Csrs.forIdentity(WEB)));
    StatusRuntimeException failing = refused(() -> c.certify(WEB, API_DOWN, Csrs.forIdentity(WEB)));

    assertThat(forbidden.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(forbidden.getStatus().getDescription())
        .contains("TokenReview failed (HTTP 403)")
        .contains("create tokenreviews");
    // fabric8 retries a 500 with backoff: Certify gives up at the timeout and says so.
    assertThat(failing.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(failing.getStatus().getDescription()).contains("no answer within PT2S");
    assertThat(count("refused", "token_review_failed")).isEqualTo(2.0);
  }

  @Test
  void audiences_are_asked_for_and_a_token_for_another_audience_is_refused() {
    issuerSecret();
    known.put(
        "aud-token",
        new TokenReviewStatusBuilder(serviceAccount("shop", "web"))
            .withAudiences("identity.l5d.io")
            .build());
    CertifyClient c = start(List.of("identity.l5d.io"));

    c.certify(WEB, "aud-token", Csrs.forIdentity(WEB));
    StatusRuntimeException e = refused(() -> c.certify(WEB, "web-token", Csrs.forIdentity(WEB)));

    // Only this test's reviews: fabric8 keeps retrying an earlier test's HTTP 500 in the
    // background after that Certify gave up, and such a retry may land here.
    List<TokenReview> ours =
        asked.stream()
            .filter(r -> List.of("aud-token", "web-token").contains(r.getSpec().getToken()))
            .toList();
    assertThat(ours)
        .extracting(r -> r.getSpec().getToken())
        .containsExactlyInAnyOrder("aud-token", "web-token");
    assertThat(ours)
        .allSatisfy(r -> assertThat(r.getSpec().getAudiences()).containsExactly("identity.l5d.io"));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(e.getStatus().getDescription()).contains("audiences");
  }

  @Test
  void a_missing_issuer_secret_is_unavailable_until_it_is_created() throws Exception {
    CertifyClient c = start(List.of());

    StatusRuntimeException e = refused(() -> c.certify(WEB, "web-token", Csrs.forIdentity(WEB)));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription())
        .contains("Secret portolan/portolan-identity-issuer does not exist");
    assertThat(count("refused", "issuer_unavailable")).isEqualTo(1.0);

    IssuerCredentials issuer = issuerSecret();
    CertifyClient.validate(
        c.certify(WEB, "web-token", Csrs.forIdentity(WEB)), issuer.trustAnchors().getFirst());
  }

  @Test
  void a_broken_issuer_secret_is_unavailable_naming_the_key() {
    IssuerCredentials good = issuerSecret();
    writeSecret(Pem.encode(good.trustAnchors()), Pem.encode(good.chain()), "not a key");
    CertifyClient c = start(List.of());

    StatusRuntimeException e = refused(() -> c.certify(WEB, "web-token", Csrs.forIdentity(WEB)));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription()).contains("tls.key");
  }

  @Test
  void a_rotated_issuer_secret_is_used_once_the_refresh_interval_has_passed() throws Exception {
    IssuerCredentials first = issuerSecret();
    CertifyClient c = start(List.of());
    CertifyClient.validate(
        c.certify(WEB, "web-token", Csrs.forIdentity(WEB)), first.trustAnchors().getFirst());

    IssuerCredentials second = issuerSecret();
    CertifyResponse cached = c.certify(WEB, "web-token", Csrs.forIdentity(WEB));
    clock.advance(Duration.ofSeconds(11));
    CertifyResponse rotated = c.certify(WEB, "web-token", Csrs.forIdentity(WEB));

    CertifyClient.validate(cached, first.trustAnchors().getFirst());
    CertifyClient.validate(rotated, second.trustAnchors().getFirst());
    assertThatThrownBy(() -> CertifyClient.validate(rotated, first.trustAnchors().getFirst()))
        .isInstanceOf(CertPathValidatorException.class);
  }

  @Test
  void a_broken_update_or_a_failing_api_server_keeps_the_last_good_issuer() throws Exception {
    IssuerCredentials good = issuerSecret();
    CertifyClient c = start(List.of());
    c.certify(WEB, "web-token", Csrs.forIdentity(WEB));

    writeSecret(Pem.encode(good.trustAnchors()), Pem.encode(good.chain()), "not a key");
    clock.advance(Duration.ofSeconds(11));
    CertifyResponse afterBrokenUpdate = c.certify(WEB, "web-token", Csrs.forIdentity(WEB));

    server
        .expect()
        .get()
        .withPath("/api/v1/namespaces/" + NS + "/secrets/" + SECRET)
        .andReturn(500, "etcd is down")
        .always();
    clock.advance(Duration.ofSeconds(11));
    CertifyResponse whileFailing = c.certify(WEB, "web-token", Csrs.forIdentity(WEB));

    CertifyClient.validate(afterBrokenUpdate, good.trustAnchors().getFirst());
    CertifyClient.validate(whileFailing, good.trustAnchors().getFirst());
    assertThat(count("issued", "ok")).isEqualTo(3.0);
  }

  @Test
  void a_deleted_issuer_secret_stops_issuance() {
    issuerSecret();
    CertifyClient c = start(List.of());
    c.certify(WEB, "web-token", Csrs.forIdentity(WEB));

    client.secrets().inNamespace(NS).withName(SECRET).delete();
    clock.advance(Duration.ofSeconds(11));
    StatusRuntimeException e = refused(() -> c.certify(WEB, "web-token", Csrs.forIdentity(WEB)));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription()).contains("does not exist");
  }

  @Test
  void an_expired_issuer_refuses_to_sign() {
    issuerSecret();
    CertifyClient c = start(List.of());
    clock.advance(Duration.ofDays(31));

    StatusRuntimeException e = refused(() -> c.certify(WEB, "web-token", Csrs.forIdentity(WEB)));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription())
        .contains("issuer certificate")
        .contains("expired at");
  }

  @Test
  void manifests_only_settings_stop_a_cluster_mode_start() {
    IdentityProperties d = IdentityProperties.defaults();
    IdentityProperties insecure =
        new IdentityProperties(
            true,
            d.leafLifetime(),
            d.clockSkew(),
            d.issuer(),
            null,
            true,
            List.of(),
            d.apiTimeout(),
            null);

    IdentityBootstrap.refuseManifestsSettings(d);
    assertThatThrownBy(() -> IdentityBootstrap.refuseManifestsSettings(insecure))
        .hasMessageContaining("portolan.identity.insecure-accept-any-token")
        .hasMessageContaining("manifests mode only");
  }

  /** The API server's token authenticator, played from {@link #known}. */
  static final class FakeAuthenticator implements ResponseProvider<Object> {
    private Headers headers = Headers.builder().build();

    @Override
    public int getStatusCode(RecordedRequest request) {
      return switch (review(request).getSpec().getToken()) {
        case API_DOWN -> 500;
        case FORBIDDEN -> 403;
        default -> 201;
      };
    }

    @Override
    public Object getBody(RecordedRequest request) {
      TokenReview review = review(request);
      asked.add(review);
      review.setStatus(
          known.getOrDefault(
              review.getSpec().getToken(),
              new TokenReviewStatusBuilder().withAuthenticated(false).build()));
      return review;
    }

    // The request body can be read once only, and both methods need it.
    private final Map<RecordedRequest, TokenReview> parsed =
        java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    private TokenReview review(RecordedRequest request) {
      return parsed.computeIfAbsent(
          request,
          r -> client.getKubernetesSerialization().unmarshal(r.getUtf8Body(), TokenReview.class));
    }

    @Override
    public Headers getHeaders() {
      return headers;
    }

    @Override
    public void setHeaders(Headers headers) {
      this.headers = headers;
    }
  }

  /** A clock the test moves: the Secret refresh and issuer expiry without sleeping. */
  static final class MutableClock extends Clock {
    private volatile Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
