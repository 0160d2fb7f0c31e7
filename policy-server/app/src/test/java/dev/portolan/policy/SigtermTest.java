package dev.portolan.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A real SIGTERM to a real server process: streams end UNAVAILABLE, then the JVM exits. */
class SigtermTest {
  static final ManifestDir DIR = DrainClients.manifests("portolan-sigterm", 2);
  static final Duration PERIOD = Duration.ofSeconds(5);

  @Test
  void sigterm_ends_every_stream_unavailable_after_not_serving_and_exits_within_the_period()
      throws Exception {
    long started = System.nanoTime();
    try (ServerProcess server =
            ServerProcess.start(
                DIR,
                Duration.ofSeconds(90),
                "--portolan.grpc.drain-period=" + PERIOD.toSeconds() + "s");
        DrainClients clients = new DrainClients(server.grpcPort()).open(2)) {
      long t0 = System.nanoTime();
      server.sigterm();
      long startMs = TimeUnit.NANOSECONDS.toMillis(t0 - started);

      await().atMost(PERIOD.plusSeconds(15)).until(clients::allEnded);
      assertThat(server.process().waitFor(PERIOD.toSeconds() + 15, TimeUnit.SECONDS))
          .as("exited")
          .isTrue();
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      // 128 + SIGTERM: the JVM ran its shutdown hooks and exited on the signal
      assertThat(server.process().exitValue()).as(server.output()).isEqualTo(143);
      assertThat(took).as("exit is bounded by the drain period").isLessThan(PERIOD.plusSeconds(5));
      System.out.printf(
          "SigtermTest: child started and streaming in %d ms; SIGTERM to exit %d ms%n",
          startMs, took.toMillis());
      clients.assertDrainedAfterNotServing();
    }
  }
}
