package dev.portolan.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Who can reach what. By default the actuator listens on loopback only and the gRPC port on every
 * interface (proxies in other pods connect to it); health shows no details and no path. With the
 * chart's settings (actuator on every interface, so the kubelet and Prometheus reach it) a request
 * that arrives on a non-loopback address gets health and prometheus only: subscriber identities
 * (/actuator/destinations) and the other diagnostics stay behind loopback (kubectl port-forward).
 *
 * <p>"Non-loopback" is an address of this machine's own interfaces: the traffic never leaves it.
 */
class ManagementExposureTest {
  static final ManifestDir DIR = DrainClients.manifests("portolan-exposure", 1);
  static InetAddress local;
  static RunningServer byDefault;
  static RunningServer chart;

  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

  @BeforeAll
  static void start() {
    local = nonLoopbackAddress().orElse(null);
    byDefault = RunningServer.start(DIR);
    // What helm/portolan's ConfigMap sets (templates/config.yaml; the chart's tests check it).
    chart =
        RunningServer.start(
            DIR,
            "--portolan.management.address=0.0.0.0",
            "--portolan.management.remote-endpoints=health,prometheus");
  }

  @AfterAll
  static void stop() {
    if (byDefault != null) {
      byDefault.close();
    }
    if (chart != null) {
      chart.close();
    }
  }

  @Test
  void by_default_the_actuator_answers_on_loopback_and_not_on_the_machines_own_address()
      throws Exception {
    assumeLocalAddress();
    assertThat(get("127.0.0.1", byDefault.httpPort(), "/actuator/health").statusCode())
        .isEqualTo(200);
    assertThatThrownBy(() -> get(host(local), byDefault.httpPort(), "/actuator/health"))
        .as("the actuator must not listen on " + local.getHostAddress())
        .isInstanceOf(IOException.class);
  }

  @Test
  void by_default_the_grpc_port_serves_other_hosts() throws Exception {
    assumeLocalAddress();
    assertThat(grpcHealth(local.getHostAddress(), byDefault.grpcPort()))
        .isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void the_grpc_address_setting_binds_the_grpc_port() throws Exception {
    assumeLocalAddress();
    try (RunningServer loopbackOnly =
        RunningServer.start(DIR, "--portolan.grpc.address=127.0.0.1")) {
      assertThat(grpcHealth("127.0.0.1", loopbackOnly.grpcPort())).isEqualTo(ServingStatus.SERVING);
      assertThatThrownBy(() -> grpcHealth(local.getHostAddress(), loopbackOnly.grpcPort()))
          .isInstanceOf(StatusRuntimeException.class)
          .hasMessageContaining("UNAVAILABLE");
    }
  }

  @Test
  void health_shows_no_details_and_no_working_directory() throws Exception {
    String cwd = System.getProperty("user.dir");
    String health = get("127.0.0.1", byDefault.httpPort(), "/actuator/health").body();
    assertThat(health).contains("\"status\":\"UP\"").doesNotContain("details", "diskSpace", cwd);
    String liveness = get("127.0.0.1", byDefault.httpPort(), "/actuator/health/liveness").body();
    assertThat(liveness).doesNotContain("details", cwd);
    // Readiness keeps the sources' sync flags (which informer has not synced), nothing else.
    String readiness = get("127.0.0.1", byDefault.httpPort(), "/actuator/health/readiness").body();
    assertThat(readiness).contains("\"sources\"").doesNotContain("diskSpace", cwd);
  }

  @Test
  void with_the_charts_settings_other_hosts_reach_health_and_prometheus_only() throws Exception {
    assumeLocalAddress();
    String remote = host(local);
    int port = chart.httpPort();
    assertThat(get(remote, port, "/actuator/health/readiness").statusCode()).isEqualTo(200);
    assertThat(get(remote, port, "/actuator/health/liveness").statusCode()).isEqualTo(200);
    assertThat(get(remote, port, "/actuator/health").body()).doesNotContain("details");
    HttpResponse<String> metrics = get(remote, port, "/actuator/prometheus");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body())
        .contains("portolan_index_objects")
        .doesNotContain(System.getProperty("user.dir"));

    for (String hidden :
        new String[] {
          "/actuator/destinations",
          "/actuator/manifests",
          "/actuator/opaqueports/web/pod/web-0",
          "/actuator/metrics",
          "/actuator/info",
          "/actuator",
          "/actuator/",
          "/actuator/healthz",
          "/actuator/prometheus/../destinations",
          "/actuator/%64estinations"
        }) {
      HttpResponse<String> res = get(remote, port, hidden);
      assertThat(res.statusCode()).as(hidden).isEqualTo(404);
      assertThat(res.body()).as(hidden).doesNotContain("web-0", "streams");
    }
    // The same server over loopback (kubectl port-forward arrives there): every endpoint.
    assertThat(get("127.0.0.1", port, "/actuator/destinations").statusCode()).isEqualTo(200);
    assertThat(get("127.0.0.1", port, "/actuator/opaqueports/web/pod/web-0").statusCode())
        .isEqualTo(200);
  }

  @Test
  void a_forwarded_header_does_not_make_a_remote_request_local() throws Exception {
    assumeLocalAddress();
    HttpRequest req =
        HttpRequest.newBuilder(uri(host(local), chart.httpPort(), "/actuator/destinations"))
            .header("X-Forwarded-Host", "127.0.0.1")
            .header("X-Forwarded-For", "127.0.0.1")
            .header("Forwarded", "for=127.0.0.1;host=127.0.0.1")
            .build();
    assertThat(http.send(req, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
  }

  private static void assumeLocalAddress() {
    assumeTrue(local != null, "this machine has no up, non-loopback interface address");
  }

  private HttpResponse<String> get(String host, int port, String path)
      throws IOException, InterruptedException {
    // A generous timeout: the first Prometheus scrape of a fresh server registers and computes
    // every meter, which took over 5 s once on a loaded CI machine. The assertions are on status
    // codes and bodies, never on how long an answer took.
    return http.send(
        HttpRequest.newBuilder(uri(host, port, path)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static URI uri(String host, int port, String path) {
    return URI.create("http://" + host + ":" + port + path);
  }

  private static String host(InetAddress a) {
    return a instanceof Inet4Address ? a.getHostAddress() : "[" + a.getHostAddress() + "]";
  }

  private static ServingStatus grpcHealth(String host, int port) throws InterruptedException {
    ManagedChannel ch = ManagedChannelBuilder.forAddress(host, port).usePlaintext().build();
    try {
      return HealthGrpc.newBlockingStub(ch)
          .withDeadlineAfter(5, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance())
          .getStatus();
    } finally {
      ch.shutdownNow();
      ch.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** An address of an up, non-loopback interface of this machine; IPv4 first. */
  static Optional<InetAddress> nonLoopbackAddress() {
    try {
      return NetworkInterface.networkInterfaces()
          .filter(ManagementExposureTest::upAndNotLoopback)
          .flatMap(NetworkInterface::inetAddresses)
          .filter(a -> !a.isLoopbackAddress() && !a.isLinkLocalAddress() && !a.isAnyLocalAddress())
          .min(Comparator.comparing(a -> a instanceof Inet4Address ? 0 : 1));
    } catch (SocketException e) {
      return Optional.empty();
    }
  }

  private static boolean upAndNotLoopback(NetworkInterface nic) {
    try {
      return nic.isUp() && !nic.isLoopback();
    } catch (SocketException e) {
      return false;
    }
  }
}
