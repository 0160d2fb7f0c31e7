package dev.portolan.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Closing the application context, which is what the JVM's shutdown hook does on SIGTERM: readiness
 * goes down first (actuator and gRPC health at once) while the actuator still answers, then GOAWAY,
 * and after the drain delay every open stream ends UNAVAILABLE, within the drain period.
 */
class ShutdownDrainTest {
  static final ManifestDir DIR = DrainClients.manifests("portolan-drain", 3);
  // Long enough that the actuator's readiness can be seen DOWN before any stream ends, even on a
  // loaded machine; the default is 1 s.
  static final Duration DELAY = Duration.ofSeconds(3);
  static final Duration PERIOD = Duration.ofSeconds(8);

  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @Test
  void close_turns_readiness_down_first_then_ends_every_stream_unavailable_within_the_period()
      throws Exception {
    RunningServer server =
        RunningServer.start(
            DIR,
            "--portolan.grpc.drain-delay=" + DELAY.toSeconds() + "s",
            "--portolan.grpc.drain-period=" + PERIOD.toSeconds() + "s");
    int httpPort = server.httpPort();
    try (DrainClients clients = new DrainClients(server.grpcPort()).open(3)) {
      assertThat(readiness(httpPort)).isEqualTo(200);

      long t0 = System.nanoTime();
      Thread closer = Thread.ofPlatform().name("context-close").start(server::close);

      // The actuator still answers while gRPC drains (its port stops after gRPC's phase), and
      // says DOWN: the kubelet takes the pod out before any proxy is told to leave.
      await().atMost(Duration.ofSeconds(10)).until(() -> readiness(httpPort) == 503);
      assertThat(clients.ended()).as("streams ended before readiness was seen down").isEmpty();
      await().until(() -> clients.seen().contains("health NOT_SERVING"));

      await().atMost(PERIOD.plusSeconds(10)).until(clients::allEnded);
      closer.join(PERIOD.plusSeconds(10));
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      assertThat(closer.isAlive()).isFalse();
      assertThat(took).as("close is bounded by the drain period").isLessThan(PERIOD.plusSeconds(3));
      clients.assertDrainedAfterNotServing();
    } finally {
      server.close();
    }
  }

  private int readiness(int port) throws InterruptedException {
    URI uri = URI.create("http://127.0.0.1:" + port + "/actuator/health/readiness");
    try {
      return http.send(
              HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    }
  }
}
