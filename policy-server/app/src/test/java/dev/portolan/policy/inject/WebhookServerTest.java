package dev.portolan.policy.inject;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.inject.AdmissionHandler;
import dev.portolan.inject.Injector;
import dev.portolan.inject.InjectorConfig;
import dev.portolan.inject.NamespaceLookup;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.util.unit.DataSize;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The lifecycle bean alone: real HTTPS on a free port, the JDK client trusting its certificate. */
class WebhookServerTest {
  static final JsonMapper JSON = JsonMapper.builder().build();
  static final AdmissionHandler HANDLER =
      new AdmissionHandler(
          new Injector(InjectorConfig.defaults("portolan", "portolan/proxy:0.1.0")),
          NamespaceLookup.of(Map.of("shop", Map.of("linkerd.io/inject", "enabled"))));

  @TempDir Path tmp;
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  @Nullable WebhookServer server;

  WebhookServer start(@Nullable Path cert, @Nullable Path key, DataSize max) {
    var props =
        new InjectorProperties(
            true,
            0,
            "/inject",
            cert,
            key,
            max,
            new InjectorProperties.Proxy(
                "portolan/proxy:0.1.0",
                "",
                "IfNotPresent",
                2102,
                "",
                "info",
                4143,
                4140,
                4191,
                "",
                null),
            new InjectorProperties.ProxyInit(
                "",
                "IfNotPresent",
                List.of("/opt/portolan/bin/proxy-init"),
                "",
                "",
                "",
                "legacy",
                null),
            new InjectorProperties.Identity(false, "cluster.local", "portolan-policy", ""));
    WebhookServer s = new WebhookServer(props, HANDLER, registry);
    s.start();
    server = s;
    assertThat(s.isRunning()).isTrue();
    assertThat(s.port()).isPositive();
    return s;
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop();
      assertThat(server.isRunning()).isFalse();
    }
  }

  @Test
  void answers_an_admission_review_over_https_with_a_generated_certificate() throws Exception {
    WebhookServer s = start(null, null, DataSize.ofMegabytes(4));
    HttpClient client = Https.trusting(s.certificate());
    HttpResponse<String> res =
        Https.post(
            client,
            s.port(),
            "/inject",
            Https.review("uid-1", "shop", "").getBytes(StandardCharsets.UTF_8));

    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.headers().firstValue("content-type")).hasValue("application/json");
    JsonNode response = JSON.readTree(res.body()).path("response");
    assertThat(response.path("uid").asString()).isEqualTo("uid-1");
    assertThat(response.path("allowed").asBoolean()).isTrue();
    assertThat(response.path("patchType").asString()).isEqualTo("JSONPatch");
    JsonNode patch = JSON.readTree(Base64.getDecoder().decode(response.path("patch").asString()));
    assertThat(patch.valueStream().map(op -> op.path("path").asString()))
        .contains("/spec/containers/0", "/spec/initContainers");
    assertThat(
            registry.get("portolan.injector.requests").tag("result", "injected").counter().count())
        .isEqualTo(1.0);
  }

  @Test
  void serves_a_helm_style_pkcs1_rsa_key_and_certificate_from_pem_files() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    KeyPair kp = g.generateKeyPair();
    X500Name name = new X500Name("CN=portolan-webhook.portolan.svc");
    var b =
        new JcaX509v3CertificateBuilder(
            name,
            BigInteger.TWO,
            Date.from(Instant.now().minus(Duration.ofMinutes(1))),
            Date.from(Instant.now().plus(Duration.ofDays(1))),
            name,
            kp.getPublic());
    b.addExtension(
        Extension.subjectAlternativeName,
        false,
        new GeneralNames(new GeneralName(GeneralName.dNSName, "localhost")));
    X509Certificate cert =
        new JcaX509CertificateConverter()
            .getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withRSA").build(kp.getPrivate())));
    Path certFile = tmp.resolve("tls.crt");
    Path keyFile = tmp.resolve("tls.key");
    Files.writeString(certFile, pem(cert));
    Files.writeString(keyFile, pem(kp.getPrivate()));
    assertThat(Files.readString(keyFile)).startsWith("-----BEGIN RSA PRIVATE KEY-----");

    WebhookServer s = start(certFile, keyFile, DataSize.ofMegabytes(4));
    assertThat(s.certificate()).isEqualTo(cert);
    HttpResponse<String> res =
        Https.post(
            Https.trusting(cert),
            s.port(),
            "/inject",
            Https.review("uid-2", "default", "").getBytes(StandardCharsets.UTF_8));
    assertThat(res.statusCode()).isEqualTo(200);
    JsonNode response = JSON.readTree(res.body()).path("response");
    assertThat(response.path("uid").asString()).isEqualTo("uid-2");
    // No namespace annotation, no pod annotation: admitted untouched.
    assertThat(response.has("patch")).isFalse();
    assertThat(response.path("warnings").get(0).asString())
        .contains("namespace default is not known to the injector yet");
  }

  @Test
  void other_paths_and_methods_are_refused() throws Exception {
    WebhookServer s = start(null, null, DataSize.ofMegabytes(4));
    HttpClient client = Https.trusting(s.certificate());
    assertThat(Https.post(client, s.port(), "/mutate", new byte[] {'{', '}'}).statusCode())
        .isEqualTo(404);
    HttpResponse<String> get =
        client.send(
            HttpRequest.newBuilder(URI.create("https://localhost:" + s.port() + "/inject")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(get.headers().firstValue("allow")).hasValue("POST");
    assertThat(Https.post(client, s.port(), "/inject", "{oops".getBytes()).statusCode())
        .isEqualTo(400);
  }

  @Test
  void a_body_over_the_cap_is_refused_with_or_without_a_content_length() throws Exception {
    WebhookServer s = start(null, null, DataSize.ofKilobytes(1));
    HttpClient client = Https.trusting(s.certificate());
    byte[] big = Https.review("uid-3", "shop", "\"pad\":\"" + "x".repeat(2000) + "\"").getBytes();

    assertThat(Https.post(client, s.port(), "/inject", big).statusCode()).isEqualTo(413);
    // Chunked: no Content-Length, so the cap is met while reading.
    HttpResponse<String> chunked =
        client.send(
            HttpRequest.newBuilder(URI.create("https://localhost:" + s.port() + "/inject"))
                .version(HttpClient.Version.HTTP_1_1)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(chunked.statusCode()).isEqualTo(413);
    assertThat(chunked.body()).contains("max-request-size");
    assertThat(
            registry.get("portolan.injector.requests").tag("result", "too_large").counter().count())
        .isEqualTo(2.0);
  }

  static String pem(Object o) throws Exception {
    StringWriter w = new StringWriter();
    try (JcaPEMWriter p = new JcaPEMWriter(w)) {
      p.writeObject(o);
    }
    return w.toString();
  }
}
