package dev.portolan.policy.identity;

import static dev.portolan.policy.identity.Csrs.dns;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.portolan.api.identity.CertifyResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Certify over real gRPC in manifests mode: a generated issuer, tokens from a token file, and the
 * development switch. Every refusal is checked for its code, its reason counter, and that it does
 * not echo the token.
 */
class ManifestsCertifyTest {
  static final IdentityDomain DOMAIN = new IdentityDomain("portolan", "cluster.local");
  static final String WEB = "web.shop.serviceaccount.identity.portolan.cluster.local";
  static final String API = "api.shop.serviceaccount.identity.portolan.cluster.local";
  static final String WEB_TOKEN = "eyJ-web-token-0123456789";
  static final String API_TOKEN = "eyJ-api-token-9876543210";

  @TempDir Path dir;
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  @Nullable CertifyClient client;

  @AfterEach
  void close() throws InterruptedException {
    if (client != null) {
      client.close();
    }
  }

  Path tokenFile() throws Exception {
    return Files.writeString(
        dir.resolve("tokens"),
        """
        # namespace/serviceaccount token
        shop/web %s

        shop/api %s
        """
            .formatted(WEB_TOKEN, API_TOKEN));
  }

  IdentityProperties props(
      @Nullable Path tokenFile, boolean insecure, Duration lifetime, IdentityProperties.Issuer i) {
    return new IdentityProperties(
        true,
        lifetime,
        Duration.ofSeconds(20),
        i,
        tokenFile,
        insecure,
        List.of(),
        Duration.ofSeconds(5),
        dir.resolve("out/trust-anchor.pem"));
  }

  static IdentityProperties.Issuer generated() {
    return IdentityProperties.defaults().issuer();
  }

  /** Starts the service the way the configuration does in manifests mode. */
  CertifyClient start(IdentityProperties p) {
    IssuerSource issuer = IdentityBootstrap.manifestsIssuer(p, DOMAIN, Instant.now());
    IdentityService service =
        new IdentityService(
            DOMAIN,
            IdentityBootstrap.manifestsAuthenticator(p),
            issuer,
            new CertificateAuthority(p.leafLifetime(), p.clockSkew(), Clock.systemUTC()),
            new IdentityMetrics(registry));
    client = new CertifyClient(service);
    return client;
  }

  X509Certificate writtenAnchor() {
    return Pem.certificates(Pem.read(dir.resolve("out/trust-anchor.pem")), "anchor").getFirst();
  }

  double count(String result, String reason) {
    return registry
        .get(IdentityMetrics.CERTIFY)
        .tag("result", result)
        .tag("reason", reason)
        .counter()
        .count();
  }

  StatusRuntimeException refusal(CertifyClient c, String identity, String token, byte[] csr) {
    Throwable t = catchThrowable(() -> c.certify(identity, token, csr));
    assertThat(t).isInstanceOf(StatusRuntimeException.class);
    StatusRuntimeException e = (StatusRuntimeException) t;
    assertThat(e.getStatus().getDescription()).isNotBlank();
    if (!token.isEmpty()) {
      assertThat(e.getStatus().getDescription()).doesNotContain(token);
    }
    return e;
  }

  static String pkcs8(java.security.PrivateKey key) {
    return "-----BEGIN PRIVATE KEY-----\n"
        + java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
  }

  @Test
  void valid_csr_gets_a_leaf_that_chains_to_the_written_trust_anchor() throws Exception {
    CertifyClient c = start(props(tokenFile(), false, Duration.ofHours(24), generated()));
    Instant before = Instant.now();

    CertifyResponse r = c.certify(WEB, WEB_TOKEN, Csrs.forIdentity(WEB));

    X509Certificate anchor = writtenAnchor();
    CertifyClient.validate(r, anchor);
    X509Certificate leaf = CertifyClient.certificate(r.getLeafCertificate());
    assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(2, WEB));
    assertThat(leaf.getExtendedKeyUsage())
        .containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
    assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
    // 24 h from now, backdated by the clock-skew allowance.
    Instant notAfter = leaf.getNotAfter().toInstant();
    assertThat(notAfter)
        .isBetween(
            before.plus(Duration.ofHours(24)).minusSeconds(1),
            Instant.now().plus(Duration.ofHours(24)));
    assertThat(Duration.between(leaf.getNotBefore().toInstant(), notAfter))
        .isEqualTo(Duration.ofHours(24).plusSeconds(20));
    assertThat(r.getValidUntil().getSeconds()).isEqualTo(notAfter.getEpochSecond());
    assertThat(r.getIntermediateCertificatesCount()).isEqualTo(1);
    X509Certificate issuer = CertifyClient.certificate(r.getIntermediateCertificates(0));
    assertThat(issuer.getSubjectX500Principal().getName())
        .isEqualTo("CN=identity.portolan.cluster.local");
    assertThat(anchor.getSubjectX500Principal().getName())
        .isEqualTo("CN=root.portolan.cluster.local");
    assertThat(count("issued", "ok")).isEqualTo(1.0);
  }

  @Test
  void leaf_lifetime_follows_the_setting() throws Exception {
    CertifyClient c = start(props(tokenFile(), false, Duration.ofMinutes(90), generated()));

    X509Certificate leaf =
        CertifyClient.certificate(
            c.certify(API, API_TOKEN, Csrs.forIdentity(API)).getLeafCertificate());

    assertThat(Duration.between(leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant()))
        .isEqualTo(Duration.ofMinutes(90).plusSeconds(20));
  }

  @Test
  void a_leaf_never_outlives_its_issuer() throws Exception {
    IdentityProperties.Issuer shortIssuer =
        new IdentityProperties.Issuer(
            "x", null, Duration.ofSeconds(10), null, null, null, Duration.ofHours(2));
    CertifyClient c = start(props(tokenFile(), false, Duration.ofHours(24), shortIssuer));

    CertifyResponse r = c.certify(WEB, WEB_TOKEN, Csrs.forIdentity(WEB));

    X509Certificate leaf = CertifyClient.certificate(r.getLeafCertificate());
    X509Certificate issuer = CertifyClient.certificate(r.getIntermediateCertificates(0));
    assertThat(leaf.getNotAfter()).isEqualTo(issuer.getNotAfter());
    CertifyClient.validate(r, writtenAnchor());
  }

  @Test
  void an_identity_longer_than_a_common_name_is_carried_by_a_critical_san() throws Exception {
    String sa = "a".repeat(40);
    Files.writeString(dir.resolve("tokens"), "shop/" + sa + " long-token\n");
    CertifyClient c = start(props(dir.resolve("tokens"), false, Duration.ofHours(1), generated()));
    String identity = sa + ".shop.serviceaccount.identity.portolan.cluster.local";

    CertifyResponse r = c.certify(identity, "long-token", Csrs.forIdentity(identity));

    X509Certificate leaf = CertifyClient.certificate(r.getLeafCertificate());
    assertThat(leaf.getSubjectX500Principal().getName()).isEmpty();
    assertThat(leaf.getCriticalExtensionOIDs()).contains("2.5.29.17");
    CertifyClient.validate(r, writtenAnchor());
  }

  @Test
  void a_csr_for_another_service_account_than_the_tokens_is_refused() throws Exception {
    CertifyClient c = start(props(tokenFile(), false, Duration.ofHours(24), generated()));

    StatusRuntimeException e = refusal(c, API, WEB_TOKEN, Csrs.forIdentity(API));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(e.getStatus().getDescription()).contains("shop/web").contains("shop/api");
    assertThat(count("refused", "wrong_service_account")).isEqualTo(1.0);
    assertThat(count("issued", "ok")).isZero();
  }

  @Test
  void an_unknown_token_is_refused_without_echoing_it() throws Exception {
    CertifyClient c = start(props(tokenFile(), false, Duration.ofHours(24), generated()));

    StatusRuntimeException e = refusal(c, WEB, "stolen-or-made-up", Csrs.forIdentity(WEB));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(count("refused", "unauthenticated")).isEqualTo(1.0);
  }

  @Test
  void rsa_and_p384_keys_are_refused() throws Exception {
    CertifyClient c = start(props(tokenFile(), false, Duration.ofHours(24), generated()));

    StatusRuntimeException rsa = refusal(c, WEB, WEB_TOKEN, Csrs.csr(Csrs.rsa(), dns(WEB)));
    StatusRuntimeException p384 =
        refusal(c, WEB, WEB_TOKEN, Csrs.csr(Csrs.ec("secp384r1"), dns(WEB)));

    assertThat(rsa.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(rsa.getStatus().getDescription()).contains("only EC P-256");
    assertThat(p384.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(p384.getStatus().getDescription()).contains("P-256");
    assertThat(count("refused", "key_type")).isEqualTo(2.0);
  }

  @Test
  void a_garbage_csr_is_refused_without_echoing_it() throws Exception {
    CertifyClient c = start(props(tokenFile(), false, Duration.ofHours(24), generated()));
    byte[] garbage = "GARBAGE-NOT-A-CSR".repeat(20).getBytes();

    StatusRuntimeException e = refusal(c, WEB, WEB_TOKEN, garbage);
    StatusRuntimeException empty = refusal(c, WEB, WEB_TOKEN, new byte[0]);

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription())
        .contains("not a DER PKCS#10")
        .doesNotContain("GARBAGE");
    assertThat(empty.getStatus().getDescription()).contains("empty");
    assertThat(count("refused", "bad_csr")).isEqualTo(2.0);
  }

  @Test
  void a_csr_whose_signature_does_not_verify_is_refused() throws Exception {
    CertifyClient c = start(props(tokenFile(), false, Duration.ofHours(24), generated()));
    byte[] forged = Csrs.signed(Csrs.p256(), Csrs.p256().getPrivate(), dns(WEB));

    StatusRuntimeException e = refusal(c, WEB, WEB_TOKEN, forged);

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).contains("signature");
    assertThat(count("refused", "bad_csr")).isEqualTo(1.0);
  }

  @Test
  void a_csr_whose_san_differs_from_the_requested_identity_is_refused() throws Exception {
    CertifyClient c = start(props(tokenFile(), false, Duration.ofHours(24), generated()));

    Collection<StatusRuntimeException> refusals =
        List.of(
            refusal(c, WEB, WEB_TOKEN, Csrs.forIdentity(API)),
            refusal(c, WEB, WEB_TOKEN, Csrs.csr(Csrs.p256())),
            refusal(c, WEB, WEB_TOKEN, Csrs.csr(Csrs.p256(), dns(WEB), dns(API))),
            refusal(c, WEB, WEB_TOKEN, Csrs.csr(Csrs.p256(), dns(WEB), Csrs.uri("spiffe://x/y"))));

    assertThat(refusals)
        .allSatisfy(e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).contains("must be exactly DNS:");
        });
    assertThat(count("refused", "san_mismatch")).isEqualTo(4.0);
  }

  @Test
  void identities_outside_the_mesh_shape_are_refused() throws Exception {
    CertifyClient c = start(props(tokenFile(), false, Duration.ofHours(24), generated()));
    List<String> bad =
        List.of(
            "",
            "web.shop.serviceaccount.identity.linkerd.cluster.local",
            "web.shop.serviceaccount.identity.portolan.example.org",
            "x.web.shop.serviceaccount.identity.portolan.cluster.local",
            "shop.serviceaccount.identity.portolan.cluster.local",
            "Web.shop.serviceaccount.identity.portolan.cluster.local");

    for (String identity : bad) {
      StatusRuntimeException e = refusal(c, identity, WEB_TOKEN, Csrs.forIdentity(WEB));
      assertThat(e.getStatus().getCode()).as(identity).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }
    assertThat(count("refused", "bad_identity")).isEqualTo(bad.size());
  }

  @Test
  void without_a_token_check_every_call_is_refused_with_how_to_configure_it() {
    CertifyClient c = start(props(null, false, Duration.ofHours(24), generated()));

    StatusRuntimeException e = refusal(c, WEB, "some-token-value", Csrs.forIdentity(WEB));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(e.getStatus().getDescription())
        .contains("portolan.identity.token-file")
        .contains("portolan.identity.insecure-accept-any-token=true");
    assertThat(count("refused", "not_configured")).isEqualTo(1.0);
  }

  @Test
  void the_development_switch_accepts_any_token_only_when_set() throws Exception {
    assertThat(
            IdentityBootstrap.manifestsAuthenticator(
                props(null, false, Duration.ofHours(1), generated())))
        .isInstanceOf(TokenAuthenticator.NotConfigured.class);
    assertThatThrownBy(() ->
            IdentityBootstrap.manifestsAuthenticator(
                props(tokenFile(), true, Duration.ofHours(1), generated())))
        .hasMessageContaining("contradict");
    CertifyClient c = start(props(null, true, Duration.ofHours(24), generated()));

    CertifyResponse r = c.certify(API, "", Csrs.forIdentity(API));

    CertifyClient.validate(r, writtenAnchor());
    assertThat(count("issued", "ok")).isEqualTo(1.0);
    // The switch skips the token only: the CSR is still checked.
    assertThat(refusal(c, API, "", Csrs.forIdentity(WEB)).getStatus().getCode())
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
  }

  @Test
  void an_edited_token_file_is_reloaded_and_a_broken_edit_keeps_the_last_good_tokens()
      throws Exception {
    Path tokens = tokenFile();
    CertifyClient c = start(props(tokens, false, Duration.ofHours(24), generated()));

    Files.writeString(tokens, "shop/web rotated-web-token\n");
    Files.setLastModifiedTime(
        tokens, java.nio.file.attribute.FileTime.from(Instant.now().plusSeconds(5)));
    c.certify(WEB, "rotated-web-token", Csrs.forIdentity(WEB));
    assertThat(refusal(c, WEB, WEB_TOKEN, Csrs.forIdentity(WEB)).getStatus().getCode())
        .isEqualTo(Status.Code.UNAUTHENTICATED);

    Files.writeString(tokens, "this line is not a token line\n");
    Files.setLastModifiedTime(
        tokens, java.nio.file.attribute.FileTime.from(Instant.now().plusSeconds(10)));
    c.certify(WEB, "rotated-web-token", Csrs.forIdentity(WEB));
    assertThat(count("issued", "ok")).isEqualTo(2.0);
  }

  @Test
  void a_malformed_token_file_stops_the_start_naming_the_line_not_the_token() throws Exception {
    Path tokens = Files.writeString(dir.resolve("bad"), "shop/web good\nshop-web secret-value\n");
    Path twice = Files.writeString(dir.resolve("twice"), "shop/web same\nshop/api same\n");

    assertThatThrownBy(() -> new TokenFileAuthenticator(tokens))
        .hasMessageContaining("line 2")
        .hasMessageNotContaining("secret-value");
    assertThatThrownBy(() -> new TokenFileAuthenticator(twice))
        .hasMessageContaining("line 2")
        .hasMessageContaining("shop/web")
        .hasMessageNotContaining("same");
  }

  @Test
  void an_issuer_read_from_files_signs_leaves_that_chain_to_its_anchor() throws Exception {
    IssuerCredentials creds =
        CertificateAuthority.generate(
            "root.test", "issuer.test", Instant.now(), Duration.ofDays(2), Duration.ZERO);
    Path anchor = Files.writeString(dir.resolve("ca.crt"), Pem.encode(creds.trustAnchors()));
    Path cert = Files.writeString(dir.resolve("tls.crt"), Pem.encode(creds.chain()));
    Path key = dir.resolve("tls.key");
    Files.writeString(key, pkcs8(creds.key()));
    IdentityProperties.Issuer files =
        new IdentityProperties.Issuer(
            "x", null, Duration.ofSeconds(10), anchor, cert, key, Duration.ofDays(1));
    CertifyClient c = start(props(tokenFile(), false, Duration.ofHours(24), files));

    CertifyResponse r = c.certify(WEB, WEB_TOKEN, Csrs.forIdentity(WEB));

    CertifyClient.validate(r, creds.trustAnchors().getFirst());
    assertThat(writtenAnchor()).isEqualTo(creds.trustAnchors().getFirst());
  }

  @Test
  void issuer_files_must_come_together_and_match() throws Exception {
    IssuerCredentials a =
        CertificateAuthority.generate(
            "root.a", "issuer.a", Instant.now(), Duration.ofDays(2), Duration.ZERO);
    IssuerCredentials b =
        CertificateAuthority.generate(
            "root.b", "issuer.b", Instant.now(), Duration.ofDays(2), Duration.ZERO);
    Path anchor = Files.writeString(dir.resolve("ca.crt"), Pem.encode(a.trustAnchors()));
    Path cert = Files.writeString(dir.resolve("tls.crt"), Pem.encode(b.chain()));
    Path key = dir.resolve("tls.key");
    Files.writeString(key, pkcs8(b.key()));

    assertThatThrownBy(() ->
            start(
                props(
                    null,
                    false,
                    Duration.ofHours(1),
                    new IdentityProperties.Issuer(
                        "x", null, Duration.ofSeconds(1), anchor, null, null, Duration.ofDays(1)))))
        .hasMessageContaining("set all three");
    assertThatThrownBy(() ->
            start(
                props(
                    null,
                    false,
                    Duration.ofHours(1),
                    new IdentityProperties.Issuer(
                        "x", null, Duration.ofSeconds(1), anchor, cert, key, Duration.ofDays(1)))))
        .hasMessageContaining("does not validate against the trust anchor");
  }
}
