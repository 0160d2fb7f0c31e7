package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * An app's own HTTPS through both proxies: {@code openssl s_server} with a certificate this test
 * makes, and {@code curl -k} with an SNI. Detection sees a TLS ClientHello, not HTTP, and relays
 * the bytes untouched (docs/design/detection.md): the handshake and the request succeed end to end,
 * and both proxies count the connection as TCP with a {@code tls} detection result and the
 * ClientHello's server name in {@code tcp_tls_sni_total}.
 */
class HttpsThroughTheMeshTest {
  static final String WEB_IP = "10.244.77.91";
  static final String SNI = "secure.bed.example";

  @Test
  void https_is_detected_as_tls_relayed_as_tcp_and_counted_by_sni() throws Exception {
    Sh.assumeRootWith("openssl", "curl");
    Path dir = Files.createTempDirectory("portolan-https");
    Path key = dir.resolve("key.pem");
    Path cert = dir.resolve("cert.pem");
    Sh.run(
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=" + SNI,
        "-keyout",
        key.toString(),
        "-out",
        cert.toString());
    try (TestBed bed =
        new TestBed()
            .pod("client", "10.244.77.90", true, "", "")
            .pod("web", WEB_IP, true, "", "{name: https, containerPort: 8443}")
            .start()) {
      bed.background(
              "web",
              "openssl",
              "s_server",
              "-accept",
              "8443",
              "-cert",
              cert.toString(),
              "-key",
              key.toString(),
              "-www")
          .awaitContaining("ACCEPT");

      String page =
          bed.pod("client")
              .run(
                  "curl",
                  "-sk",
                  "--max-time",
                  "5",
                  "--resolve",
                  SNI + ":8443:" + WEB_IP,
                  "https://" + SNI + ":8443/");
      // s_server -www answers with its own status page, naming the SNI it was sent.
      assertThat(page).contains("s_server").contains("Ciphers supported");

      String client = bed.pod("client").metrics();
      System.out.println(client);
      assertThat(client)
          .contains(
              "tcp_open_total{direction=\"outbound\",target_addr=\""
                  + WEB_IP
                  + ":8443\",peer=\"src\",tls=\"disabled\"} 1")
          .contains("outbound_tcp_detect_results_total{result=\"tls\"} 1")
          .contains(
              "tcp_tls_sni_total{direction=\"outbound\",target_addr=\""
                  + WEB_IP
                  + ":8443\",sni=\""
                  + SNI
                  + "\"} 1")
          .doesNotContain("request_total{direction=\"outbound\"");
      String web = bed.pod("web").metrics();
      assertThat(web)
          .contains(
              "tcp_open_total{direction=\"inbound\",target_addr=\""
                  + WEB_IP
                  + ":8443\",peer=\"src\",tls=\"disabled\"} 1")
          .contains("inbound_tcp_detect_results_total{result=\"tls\"} 1")
          .contains(
              "tcp_tls_sni_total{direction=\"inbound\",target_addr=\""
                  + WEB_IP
                  + ":8443\",sni=\""
                  + SNI
                  + "\"} 1")
          .doesNotContain("request_total{direction=\"inbound\"");
    } finally {
      Files.deleteIfExists(key);
      Files.deleteIfExists(cert);
      Files.deleteIfExists(dir);
    }
  }
}
