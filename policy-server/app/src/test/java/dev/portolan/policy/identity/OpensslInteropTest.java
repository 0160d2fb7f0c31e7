package dev.portolan.policy.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.portolan.api.identity.CertifyResponse;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A second implementation on both ends: an issuer made with the openssl commands docs/identity.md
 * gives (SEC1 issuer key, PKCS#8 leaf key), a CSR made by openssl, and the answer checked by {@code
 * openssl verify -x509_strict} for both TLS purposes.
 */
class OpensslInteropTest {
  static final String WEB = ManifestsCertifyTest.WEB;

  @TempDir Path dir;

  @Test
  void openssl_issuer_and_csr_give_a_leaf_openssl_verifies_for_client_and_server()
      throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is not installed");
    run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key");
    run(
        "openssl",
        "req",
        "-x509",
        "-new",
        "-key",
        "ca.key",
        "-sha256",
        "-days",
        "3650",
        "-subj",
        "/CN=root.portolan.cluster.local",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-out",
        "ca.crt");
    run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "issuer.key");
    run(
        "openssl",
        "req",
        "-new",
        "-key",
        "issuer.key",
        "-subj",
        "/CN=identity.portolan.cluster.local",
        "-out",
        "issuer.csr");
    Files.writeString(
        dir.resolve("issuer.ext"),
        "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n");
    run(
        "openssl",
        "x509",
        "-req",
        "-in",
        "issuer.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "365",
        "-sha256",
        "-extfile",
        "issuer.ext",
        "-out",
        "issuer.crt");
    run(
        "openssl",
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        "leaf.key");
    run(
        "openssl",
        "req",
        "-new",
        "-key",
        "leaf.key",
        "-subj",
        "/",
        "-addext",
        "subjectAltName=DNS:" + WEB,
        "-outform",
        "DER",
        "-out",
        "leaf.csr");
    Files.writeString(dir.resolve("tokens"), "shop/web web-token\n");

    IdentityProperties p =
        new IdentityProperties(
            true,
            Duration.ofHours(24),
            Duration.ofSeconds(20),
            new IdentityProperties.Issuer(
                "unused",
                null,
                Duration.ofSeconds(10),
                dir.resolve("ca.crt"),
                dir.resolve("issuer.crt"),
                dir.resolve("issuer.key"),
                Duration.ofDays(1)),
            dir.resolve("tokens"),
            false,
            List.of(),
            Duration.ofSeconds(5),
            dir.resolve("out/anchor.pem"));
    IdentityService service =
        new IdentityService(
            ManifestsCertifyTest.DOMAIN,
            IdentityBootstrap.manifestsAuthenticator(p),
            IdentityBootstrap.manifestsIssuer(p, ManifestsCertifyTest.DOMAIN, Instant.now()),
            new CertificateAuthority(p.leafLifetime(), p.clockSkew(), Clock.systemUTC()),
            new IdentityMetrics(new SimpleMeterRegistry()));

    CertifyResponse r;
    try (CertifyClient c = new CertifyClient(service)) {
      r = c.certify(WEB, "web-token", Files.readAllBytes(dir.resolve("leaf.csr")));
    }
    Files.writeString(
        dir.resolve("leaf.pem"),
        Pem.encode(List.of(CertifyClient.certificate(r.getLeafCertificate()))));
    Files.writeString(
        dir.resolve("chain.pem"),
        Pem.encode(
            r.getIntermediateCertificatesList().stream().map(CertifyClient::certificate).toList()));

    for (String purpose : List.of("sslserver", "sslclient")) {
      assertThat(
              run(
                  "openssl",
                  "verify",
                  "-x509_strict",
                  "-purpose",
                  purpose,
                  "-CAfile",
                  "ca.crt",
                  "-untrusted",
                  "chain.pem",
                  "leaf.pem"))
          .contains("leaf.pem: OK");
    }
    assertThat(run("openssl", "x509", "-in", "leaf.pem", "-noout", "-ext", "subjectAltName"))
        .contains("DNS:" + WEB);
    assertThat(Files.readString(dir.resolve("out/anchor.pem")).strip())
        .isEqualTo(Files.readString(dir.resolve("ca.crt")).strip());
  }

  @Test
  void openssl_verifies_leaves_from_the_generated_anchor_and_issuer() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is not installed");
    IssuerCredentials generated =
        CertificateAuthority.generate(
            "root.portolan.cluster.local",
            "identity.portolan.cluster.local",
            Instant.now(),
            Duration.ofDays(1),
            Duration.ofSeconds(20));
    CertificateAuthority ca =
        new CertificateAuthority(Duration.ofHours(24), Duration.ofSeconds(20), Clock.systemUTC());
    var key =
        org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(
            Csrs.p256().getPublic().getEncoded());
    CertificateAuthority.Leaf leaf = ca.issue(generated, key, WEB);
    Files.writeString(dir.resolve("ca.crt"), Pem.encode(generated.trustAnchors()));
    Files.writeString(dir.resolve("chain.pem"), Pem.encode(leaf.intermediates()));
    Files.writeString(dir.resolve("leaf.pem"), Pem.encode(List.of(leaf.certificate())));

    for (String purpose : List.of("sslserver", "sslclient")) {
      assertThat(
              run(
                  "openssl",
                  "verify",
                  "-x509_strict",
                  "-purpose",
                  purpose,
                  "-CAfile",
                  "ca.crt",
                  "-untrusted",
                  "chain.pem",
                  "leaf.pem"))
          .contains("leaf.pem: OK");
    }
  }

  private String run(String... command) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("%s finished", command[1]).isTrue();
    assertThat(p.exitValue()).as("%s: %s", String.join(" ", command), out).isZero();
    return out;
  }
}
