package dev.portolan.proxy.testbed;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A process (usually a JVM started from this test's classpath), optionally behind a prefix (e.g.
 * {@code ip netns exec NS setpriv --reuid 2102}); its output is read line by line; it is killed,
 * with its children, on close.
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
    return start(prefix, List.of(), System.getProperty("java.class.path"), Map.of(), main, args);
  }

  /** A JVM with an explicit classpath and extra environment. */
  public static JavaProcess start(
      List<String> prefix,
      List<String> jvmArgs,
      String classpath,
      Map<String, String> env,
      Class<?> main,
      String... args) {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("--enable-native-access=ALL-UNNAMED");
    // The test classpath carries two SLF4J providers: Spring Boot's logback (the policy-server
    // needs it) and the proxy's slf4j-simple, which the proxy selects for itself (LogLevel).
    cmd.add("-Dslf4j.provider=ch.qos.logback.classic.spi.LogbackServiceProvider");
    cmd.add("-Dslf4j.internal.verbosity=WARN");
    if (jvmArgs.stream().noneMatch(a -> a.startsWith("-XX:+Use") && a.endsWith("GC"))) {
      cmd.add("-XX:+UseSerialGC");
      cmd.add("-XX:TieredStopAtLevel=1");
    }
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(classpath);
    cmd.add(main.getName());
    cmd.addAll(List.of(args));
    return command(cmd, env);
  }

  /** Any program, e.g. redis-server inside a pod namespace. */
  public static JavaProcess command(List<String> cmd, Map<String, String> env) {
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.environment().putAll(env);
      return new JavaProcess(pb.start());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Waits (up to 60 s) for a line starting with {@code prefix}; fails with all output if none. */
  public String awaitLine(String prefix) throws InterruptedException {
    return await(line -> line.startsWith(prefix), "starting with '" + prefix + "'");
  }

  /** Waits (up to 60 s) for a line containing {@code fragment}. */
  public String awaitContaining(String fragment) throws InterruptedException {
    return await(line -> line.contains(fragment), "containing '" + fragment + "'");
  }

  private String await(Predicate<String> match, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      String line = lines.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      if (line != null && match.test(line)) {
        return line;
      }
      if (line == null && !process.isAlive()) {
        break;
      }
    }
    throw new IllegalStateException("no line " + what + "; output:\n" + output());
  }

  public String output() {
    synchronized (all) {
      return String.join("\n", all);
    }
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void close() {
    // The process first, then what it had started: a parent killed last could still replace a
    // killed child (nginx's master respawns its worker), and that one would outlive the test.
    List<ProcessHandle> children = process.descendants().toList();
    process.destroyForcibly();
    children.forEach(ProcessHandle::destroyForcibly);
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
