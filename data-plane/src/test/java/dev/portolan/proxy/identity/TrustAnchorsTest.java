package dev.portolan.proxy.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertPathValidatorException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
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
}
