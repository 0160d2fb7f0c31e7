package dev.portolan.policy;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The policy-server in a child JVM, started as bin/policy-server starts its jar (same main class,
 * same JVM options) but from this test's class path, so that no packaging step is needed.
 */
public final class ServerProcess implements AutoCloseable {
  private static final Pattern LISTENING =
      Pattern.compile("portolan policy-server listening: grpc=(\\d+) http=(\\d+)");

  private final Process process;
  private final Path log;
  private int grpcPort = -1;
  private int httpPort = -1;

  private ServerProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** Starts on the manifests of {@code dir} on free ports and waits for the listening line. */
  public static ServerProcess start(ManifestDir dir, Duration startTimeout, String... extra)
      throws IOException {
    return start(dir, startTimeout, List.of(), extra);
  }

  /** As {@link #start(ManifestDir, Duration, String...)}, with JVM options (system properties). */
  public static ServerProcess start(
      ManifestDir dir, Duration startTimeout, List<String> jvmOptions, String... extra)
      throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                java,
                // as bin/policy-server and the image
                "-XX:+ExitOnOutOfMemoryError",
                "--enable-native-access=ALL-UNNAMED",
                "-Xmx256m"));
    cmd.addAll(jvmOptions);
    cmd.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            PolicyServerApplication.class.getName(),
            "--portolan.grpc.port=0",
            "--server.port=0",
            "--portolan.manifests.dir=" + dir.path(),
            "--spring.main.banner-mode=off"));
    cmd.addAll(List.of(extra));
    Path log = Files.createTempFile("portolan-server", ".log");
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    ServerProcess s = new ServerProcess(p, log);
    try {
      await()
          .atMost(startTimeout)
          .pollInterval(Duration.ofMillis(100))
          .until(() -> {
            if (!p.isAlive()) {
              throw new IllegalStateException("the server exited:\n" + s.output());
            }
            Matcher m = LISTENING.matcher(s.output());
            if (!m.find()) {
              return false;
            }
            s.grpcPort = Integer.parseInt(m.group(1));
            s.httpPort = Integer.parseInt(m.group(2));
            return true;
          });
    } catch (RuntimeException e) {
      s.close();
      throw e;
    }
    return s;
  }

  public int grpcPort() {
    return grpcPort;
  }

  public int httpPort() {
    return httpPort;
  }

  public Process process() {
    return process;
  }

  /** SIGTERM, as the kubelet sends it (Process.destroy is SIGTERM on Linux). */
  public void sigterm() {
    process.destroy();
  }

  public String output() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      Files.deleteIfExists(log);
    } catch (IOException e) {
      // a temporary file: nothing to do
    }
  }
}
