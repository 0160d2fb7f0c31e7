package dev.portolan.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A fleet of subscribers in a process of its own, so that what the benchmark measures of the server
 * (heap, direct memory, RSS) is the server's alone. Started by {@link Fleet}; driven over its
 * stdin, one command a line, answering one line on stdout:
 *
 * <ul>
 *   <li>{@code complete <seconds>}: {@code complete <count> <nanos>} once every stream holds its
 *       whole answer ({@code nanos}: when the last got it), or {@code incomplete <count>};
 *   <li>{@code lost <seconds>}: {@code lost <failures>} once no stream holds an answer;
 *   <li>{@code round <marker> <streams> <seconds>}: {@code begun} at once, then {@code done
 *       <nanos>} once {@code streams} subscribers saw an identity starting with {@code marker}, or
 *       {@code timeout <missing>};
 *   <li>{@code quit}.
 * </ul>
 *
 * Times are {@link System#nanoTime()}, which on Linux is CLOCK_MONOTONIC, one clock for every
 * process of the machine: the benchmark compares them with its own.
 *
 * <p>Arguments: {@code port perConnection[:firstId] expectAddresses read|stall[:window] one <path>
 * <count>} or {@code ... many <services> <perService>} (the paths of {@link
 * PropagationBenchmark#servicePath}); a stalled fleet never reads a message, and {@code window}
 * sets the HTTP/2 stream window its connections offer.
 */
public final class ClientFleet {
  private ClientFleet() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    // read | stall | stall:<window bytes>
    String[] mode = args[3].split(":");
    // perConnection[:firstId]
    String[] connection = args[1].split(":");
    var options =
        new Streams.Options(
            Integer.parseInt(connection[0]),
            Integer.parseInt(args[2]),
            mode[0].equals("stall"),
            mode.length > 1 ? Integer.parseInt(mode[1]) : 0,
            connection.length > 1 ? Integer.parseInt(connection[1]) : 0);
    List<String> paths = new ArrayList<>();
    if (args[4].equals("one")) {
      for (int i = 0; i < Integer.parseInt(args[6]); i++) {
        paths.add(args[5]);
      }
    } else {
      int services = Integer.parseInt(args[5]);
      int perService = Integer.parseInt(args[6]);
      for (int s = 0; s < services; s++) {
        for (int k = 0; k < perService; k++) {
          paths.add(PropagationBenchmark.servicePath(s));
        }
      }
    }
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    try (Streams streams = new Streams(port, paths, options)) {
      out.println("started " + paths.size());
      for (String line; (line = in.readLine()) != null; ) {
        String[] c = line.split(" ");
        switch (c[0]) {
          case "complete" -> {
            boolean ok = until(() -> streams.complete() == streams.size(), seconds(c[1]));
            out.println(
                ok
                    ? "complete " + streams.complete() + " " + streams.lastCompleteNanos()
                    : "incomplete " + streams.complete());
          }
          case "lost" -> {
            until(() -> streams.complete() == 0, seconds(c[1]));
            out.println("lost " + streams.failures());
          }
          case "round" -> {
            Streams.Round r = streams.begin(c[1], Integer.parseInt(c[2]));
            out.println("begun"); // the change may be submitted now: nothing can be missed
            boolean ok = r.remaining.await(seconds(c[3]).toMillis(), TimeUnit.MILLISECONDS);
            out.println(ok ? "done " + r.lastNanos.get() : "timeout " + r.remaining.getCount());
          }
          case "quit" -> {
            return;
          }
          default -> out.println("error unknown command " + c[0]);
        }
      }
    }
  }

  private static Duration seconds(String s) {
    return Duration.ofSeconds(Long.parseLong(s));
  }

  /** Polls {@code done} every 10 ms until it holds or {@code limit} passes. */
  private static boolean until(BooleanSupplier done, Duration limit) {
    long end = System.nanoTime() + limit.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > end) {
        return false;
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new UncheckedIOException(new IOException("interrupted"));
      }
    }
    return true;
  }
}
