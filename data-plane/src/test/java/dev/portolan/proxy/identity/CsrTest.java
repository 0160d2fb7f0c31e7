package dev.portolan.proxy.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.junit.jupiter.api.Test;

class CsrTest {
  private static final String ID = "web.shop.serviceaccount.identity.portolan.cluster.local";

  @Test
  void request_parses_with_bouncycastle_and_carries_the_identity_and_the_key() throws Exception {
    KeyPair keys = Csr.newKeyPair();
    byte[] der = Csr.create(keys, ID);

    JcaPKCS10CertificationRequest csr = new JcaPKCS10CertificationRequest(der);
    assertThat(
            csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(csr.getPublicKey())))
        .isTrue();
    assertThat(csr.getPublicKey().getEncoded()).isEqualTo(keys.getPublic().getEncoded());
    assertThat(csr.getSubject()).isEqualTo(new X500Name(new org.bouncycastle.asn1.x500.RDN[0]));
    assertThat(csr.getSignatureAlgorithm().getAlgorithm().getId()).isEqualTo("1.2.840.10045.4.3.2");
    assertThat(TestPki.csrDnsNames(der)).containsExactly(ID);
    assertThat(csr.getPublicKey().getAlgorithm()).isEqualTo("EC");
  }

  @Test
  void signature_covers_the_request_info() throws Exception {
    byte[] der = Csr.create(Csr.newKeyPair(), ID);
    // Flip one byte inside the DNS name: the signature no longer verifies.
    int at = new String(der, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("web.shop");
    der[at] = 'x';
    JcaPKCS10CertificationRequest csr = new JcaPKCS10CertificationRequest(der);
    assertThat(
            csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(csr.getPublicKey())))
        .isFalse();
  }

  @Test
  void a_long_identity_needs_two_length_bytes_and_still_parses() throws Exception {
    String sa = "a".repeat(63) + "." + "b".repeat(63);
    String id = IdentityNames.of(sa, "shop", "portolan", "cluster.local");
    byte[] der = Csr.create(Csr.newKeyPair(), id);
    assertThat(TestPki.csrDnsNames(der)).containsExactly(id);
  }

  @Test
  void a_test_ca_signs_it_and_the_certificate_names_the_identity() {
    TestPki.Ca root = TestPki.root("root");
    KeyPair keys = Csr.newKeyPair();
    var cert =
        root.issueFromCsr(
            Csr.create(keys, ID), java.time.Instant.now(), java.time.Instant.now().plusSeconds(60));
    assertThat(IdentityNames.dnsNames(cert)).containsExactly(ID);
    assertThat(cert.getPublicKey().getEncoded()).isEqualTo(keys.getPublic().getEncoded());
  }

  @Test
  void refuses_a_non_ec_key_and_a_non_ascii_name() throws Exception {
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    assertThatThrownBy(() -> Csr.create(rsa.generateKeyPair(), ID))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not EC");
    assertThatThrownBy(() -> Csr.create(Csr.newKeyPair(), "wéb.shop"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not an ASCII DNS name");
  }
}
