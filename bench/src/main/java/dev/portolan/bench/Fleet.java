package dev.portolan.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ClientFleet} process and the commands the benchmark sends it: the subscribers live in
 * their own JVM (its own heap, default 1 GiB) on the same classpath.
 */
final class Fleet implements AutoCloseable {
  private final Process process;
  private final PrintStream in;
  private final BufferedReader out;

  private Fleet(List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx1g");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(ClientFleet.class.getName());
    cmd.addAll(args);
    process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    in = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
    out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    expect("started");
  }

  /** {@code count} subscribers of {@code path}. */
  static Fleet one(int port, String path, int count, int expectAddresses) throws IOException {
    return one(port, path, count, expectAddresses, "read", 0);
  }

  /** As {@link #one(int, String, int, int)}, its proxies numbered from {@code firstId}. */
  static Fleet one(int port, String path, int count, int expectAddresses, int firstId)
      throws IOException {
    return one(port, path, count, expectAddresses, "read", firstId);
  }

  /**
   * {@code count} subscribers of {@code path} that never read a message, their connections offering
   * {@code window} bytes per stream.
   */
  static Fleet stalled(int port, String path, int count, int window) throws IOException {
    return one(port, path, count, 1, "stall:" + window, 1_000_000);
  }

  private static Fleet one(
      int port, String path, int count, int expectAddresses, String mode, int firstId)
      throws IOException {
    return new Fleet(
        List.of(
            Integer.toString(port),
            Streams.STREAMS_PER_CONNECTION + ":" + firstId,
            Integer.toString(expectAddresses),
            mode,
            "one",
            path,
            Integer.toString(count)));
  }

  /**
   * Stops the process (SIGSTOP), as a wedged proxy stops: it reads nothing more from its sockets,
   * so what the server writes backs up in the server.
   */
  void suspend() throws IOException, InterruptedException {
    signal("-STOP");
  }

  /** Lets a suspended process run again (SIGCONT). */
  void resume() throws IOException, InterruptedException {
    signal("-CONT");
  }

  private void signal(String which) throws IOException, InterruptedException {
    int exit = new ProcessBuilder("kill", which, Long.toString(process.pid())).start().waitFor();
    if (exit != 0) {
      throw new IllegalStateException("kill " + which + " " + process.pid() + " failed: " + exit);
    }
  }

  /** {@code perService} subscribers of each of {@code services} Services, one address each. */
  static Fleet many(int port, int services, int perService) throws IOException {
    return new Fleet(
        List.of(
            Integer.toString(port),
            Integer.toString(Streams.STREAMS_PER_CONNECTION),
            "1",
            "read",
            "many",
            Integer.toString(services),
            Integer.toString(perService)));
  }

  /** Waits until every stream holds its whole answer; returns when the last got it (nanos). */
  long awaitComplete(int seconds) throws IOException {
    String[] r = ask("complete " + seconds, "complete");
    return Long.parseLong(r[2]);
  }

  /** Waits until no stream holds an answer (the server went away); returns the failures seen. */
  long awaitLost(int seconds) throws IOException {
    return Long.parseLong(ask("lost " + seconds, "lost")[1]);
  }

  /** Starts a round: {@code streams} subscribers of this fleet are to see {@code marker}. */
  void beginRound(String marker, int streams, int seconds) throws IOException {
    ask("round " + marker + " " + streams + " " + seconds, "begun");
  }

  /** Ends the round begun last: the time (nanos) the last of its subscribers saw the marker. */
  long endRound() throws IOException {
    return Long.parseLong(expect("done")[1]);
  }

  long pid() {
    return process.pid();
  }

  private String[] ask(String command, String expected) throws IOException {
    in.println(command);
    return expect(expected);
  }

  private String[] expect(String expected) throws IOException {
    String line = out.readLine();
    if (line == null || !line.startsWith(expected)) {
      throw new IllegalStateException("client fleet answered '" + line + "', not " + expected);
    }
    return line.split(" ");
  }

  @Override
  public void close() throws IOException {
    in.println("quit");
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
