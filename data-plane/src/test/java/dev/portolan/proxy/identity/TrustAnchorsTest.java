package dev.portolan.proxy.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.CertPathValidatorException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrustAnchorsTest {
  static final TestPki.Ca ROOT = TestPki.root("root");
  static final TestPki.Ca OTHER = TestPki.root("other");

  @Test
  void loads_a_bundle_of_several_anchors(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("ca.pem");
    Files.writeString(f, ROOT.pem() + OTHER.pem());
    assertThat(TrustAnchors.load(f).certificates()).containsExactly(ROOT.cert(), OTHER.cert());
  }

  @Test
  void a_missing_empty_or_broken_file_is_named(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> TrustAnchors.load(dir.resolve("nope.pem")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nope.pem: cannot read");
    Path empty = Files.writeString(dir.resolve("empty.pem"), "");
    assertThatThrownBy(() -> TrustAnchors.load(empty))
        .hasMessageContaining("empty.pem: no PEM certificate in it");
    Path broken =
        Files.writeString(
            dir.resolve("broken.pem"),
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    assertThatThrownBy(() -> TrustAnchors.load(broken))
        .hasMessageContaining("broken.pem: not a valid PEM certificate bundle");
  }

  @Test
  void verifies_chains_through_intermediates_and_refuses_other_roots_and_expiry() throws Exception {
    TrustAnchors anchors = TrustAnchors.fromPem(ROOT.pem());
    TestPki.Ca issuer = ROOT.intermediate("issuer");
    TestPki.Leaf leaf = issuer.leaf("web.shop", Duration.ofHours(1));
    List<java.security.cert.X509Certificate> chain = List.of(leaf.cert(), issuer.cert());
    anchors.verify(chain, Instant.now());

    assertThatThrownBy(() -> anchors.verify(List.of(leaf.cert()), Instant.now()))
        .isInstanceOf(CertPathValidatorException.class);
    TestPki.Leaf foreign = OTHER.leaf("web.shop", Duration.ofHours(1));
    assertThatThrownBy(() -> anchors.verify(List.of(foreign.cert()), Instant.now()))
        .isInstanceOf(CertPathValidatorException.class);
    assertThatThrownBy(() -> anchors.verify(chain, Instant.now().plus(Duration.ofHours(2))))
        .isInstanceOf(CertPathValidatorException.class)
        .extracting(e -> ((CertPathValidatorException) e).getReason())
        .isEqualTo(CertPathValidatorException.BasicReason.EXPIRED);
  }

  @Test
  void refuses_a_certificate_issued_by_a_non_ca_and_names_why() throws Exception {
    TrustAnchors anchors = TrustAnchors.fromPem(ROOT.pem());
    // A certificate without the CA flag, signed by the root, signs another: the signatures hold,
    // but the middle one may not issue certificates.
    KeyPair middleKeys = Csr.newKeyPair();
    X509Certificate middle =
        certificate("CN=root", "CN=not-a-ca", middleKeys.getPublic(), ROOT.keys());
    X509Certificate below =
        certificate("CN=not-a-ca", "CN=below", Csr.newKeyPair().getPublic(), middleKeys);
    anchors.verify(List.of(middle), Instant.now());
    assertThatThrownBy(() -> anchors.verify(List.of(below, middle), Instant.now()))
        .isInstanceOf(CertPathValidatorException.class)
        .hasMessageContaining("certificate 1")
        .hasMessageContaining("is not a CA");
  }

  /** A certificate without extensions (so: no CA), valid for an hour. */
  private static X509Certificate certificate(
      String issuer, String subject, PublicKey key, KeyPair signer) throws Exception {
    return new JcaX509CertificateConverter()
        .getCertificate(
            new JcaX509v3CertificateBuilder(
                    new X500Name(issuer),
                    BigInteger.valueOf(System.nanoTime()),
                    Date.from(Instant.now().minus(Duration.ofMinutes(1))),
                    Date.from(Instant.now().plus(Duration.ofHours(1))),
                    new X500Name(subject),
                    key)
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
  }

  @Test
  void refuses_a_root_of_the_same_name_with_another_key() throws Exception {
    TrustAnchors anchors = TrustAnchors.fromPem(ROOT.pem());
    TestPki.Ca impostor = TestPki.root("root");
    TestPki.Leaf leaf = impostor.leaf("web.shop", Duration.ofHours(1));
    assertThatThrownBy(() -> anchors.verify(List.of(leaf.cert()), Instant.now()))
        .isInstanceOf(CertPathValidatorException.class)
        .hasMessageContaining("is not signed by trust anchor");
  }

  @Test
  void during_a_rotation_either_root_of_the_same_name_verifies() throws Exception {
    // The bundle of a trust-anchor rotation: the old root and the new one, same name, two keys.
    TestPki.Ca next = TestPki.root("root");
    TrustAnchors both = TrustAnchors.fromPem(ROOT.pem() + next.pem());
    both.verify(List.of(ROOT.leaf("web.shop", Duration.ofHours(1)).cert()), Instant.now());
    both.verify(List.of(next.leaf("web.shop", Duration.ofHours(1)).cert()), Instant.now());
    TestPki.Ca third = TestPki.root("root");
    assertThatThrownBy(() ->
            both.verify(List.of(third.leaf("web.shop", Duration.ofHours(1)).cert()), Instant.now()))
        .isInstanceOf(CertPathValidatorException.class)
        .hasMessageContaining("is not signed by trust anchor");
  }

  @Test
  void a_certificate_not_yet_valid_is_refused_with_its_reason() throws Exception {
    TrustAnchors anchors = TrustAnchors.fromPem(ROOT.pem());
    TestPki.Leaf later =
        ROOT.leaf(
            "web.shop",
            Instant.now().plus(Duration.ofHours(1)),
            Instant.now().plus(Duration.ofHours(2)));
    assertThatThrownBy(() -> anchors.verify(List.of(later.cert()), Instant.now()))
        .isInstanceOf(CertPathValidatorException.class)
        .extracting(e -> ((CertPathValidatorException) e).getReason())
        .isEqualTo(CertPathValidatorException.BasicReason.NOT_YET_VALID);
  }
}
