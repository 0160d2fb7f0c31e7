package dev.portolan.proxy.testbed;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A JVM started from this test's classpath, optionally behind a prefix (e.g. {@code ip netns exec
 * NS setpriv --reuid 2102}); its output is read line by line; it is killed on close.
 */
public final class JavaProcess implements AutoCloseable {
  private final Process process;
  private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final List<String> all = new ArrayList<>();

  private JavaProcess(Process process) {
    this.process = process;
    Thread.ofPlatform()
        .daemon()
        .name("output-" + process.pid())
        .start(() -> {
          try (BufferedReader r =
              new BufferedReader(
                  new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
              synchronized (all) {
                all.add(line);
              }
              lines.add(line);
            }
          } catch (IOException ignored) {
            // process ended
          }
        });
  }

  public static JavaProcess start(List<String> prefix, Class<?> main, String... args) {
    return start(prefix, List.of(), main, args);
  }

  public static JavaProcess start(
      List<String> prefix, List<String> jvmArgs, Class<?> main, String... args) {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    cmd.addAll(List.of(args));
    try {
      return new JavaProcess(new ProcessBuilder(cmd).redirectErrorStream(true).start());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Waits (up to 60 s) for a line starting with {@code prefix}; fails with all output if none. */
  public String awaitLine(String prefix) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      String line = lines.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      if (line != null && line.startsWith(prefix)) {
        return line;
      }
      if (line == null && !process.isAlive()) {
        break;
      }
    }
    throw new IllegalStateException("no line starting with '" + prefix + "'; output:\n" + output());
  }

  public String output() {
    synchronized (all) {
      return String.join("\n", all);
    }
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
