package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * MariaDB speaks first (its handshake greeting) on 3306, a default opaque port: a meshed client
 * queries it through both proxies with no detection and no delay.
 */
class MariaDbThroughTheMeshTest {
  @Test
  void mariadb_client_queries_through_both_proxies() throws Exception {
    Sh.assumeRootWith("mariadb-install-db", "mariadbd", "mariadb");
    Path data = Files.createTempDirectory("portolan-mariadb");
    try (TestBed bed =
        new TestBed()
            .pod("client", "10.244.77.80", true, "", "")
            .pod("db", "10.244.77.81", true, "", "{name: mysql, containerPort: 3306}")
            .service("db", "db", "10.96.77.80", 3306, 3306)
            .start()) {
      Sh.run(
          "mariadb-install-db",
          "--no-defaults",
          "--datadir=" + data,
          "--user=root",
          "--auth-root-authentication-method=normal",
          "--skip-test-db");
      bed.background(
              "db",
              "mariadbd",
              "--no-defaults",
              "--datadir=" + data,
              "--user=root",
              "--bind-address=0.0.0.0",
              "--port=3306",
              "--socket=" + data.resolve("sock"),
              "--pid-file=" + data.resolve("pid"),
              "--skip-grant-tables",
              "--skip-name-resolve",
              "--innodb-buffer-pool-size=16M")
          .awaitContaining("ready for connections");

      for (String host : new String[] {"10.96.77.80", "10.244.77.81"}) {
        String out =
            bed.pod("client")
                .run(
                    "mariadb",
                    "--no-defaults",
                    "-h",
                    host,
                    "-P",
                    "3306",
                    "-u",
                    "root",
                    "-N",
                    "-e",
                    "select 6*7");
        assertThat(out.strip()).isEqualTo("42");
      }
      assertThat(bed.pod("client").metrics())
          .contains(
              "tcp_open_total{direction=\"outbound\",target_addr=\"10.96.77.80:3306\",peer=\"src\",tls=\"disabled\"}")
          .doesNotContain("outbound_tcp_detect_results_total");
      assertThat(bed.pod("db").metrics()).doesNotContain("inbound_tcp_detect_results_total");
    } finally {
      try (Stream<Path> files = Files.walk(data)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
