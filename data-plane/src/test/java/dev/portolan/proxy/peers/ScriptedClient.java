package dev.portolan.proxy.peers;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A client for the test bed that behaves as a script says, on {@code connections} connections at
 * once: {@code sleep:MS} stays silent (the behaviour under test: a pool that opens ahead of use),
 * {@code send:TEXT} writes (with {@code \r} and {@code \n} escapes), {@code expect:TEXT} reads
 * until the text has arrived, {@code repeat:N} runs the steps after it N times. Prints {@code
 * script done N/M} and, per connection, what it read; at most 60 s in all.
 *
 * <p>Arguments: host port connections step...
 */
public final class ScriptedClient {
  private ScriptedClient() {}

  public static void main(String[] args) throws Exception {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    int connections = Integer.parseInt(args[2]);
    List<String> steps = List.of(args).subList(3, args.length);
    ExecutorService pool = Executors.newFixedThreadPool(connections);
    List<Future<String>> runs = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      runs.add(pool.submit(() -> run(host, port, steps)));
    }
    int ok = 0;
    StringBuilder read = new StringBuilder();
    for (Future<String> f : runs) {
      try {
        read.append(f.get(60, java.util.concurrent.TimeUnit.SECONDS));
        ok++;
      } catch (Exception e) {
        System.out.println("connection failed: " + e);
      }
    }
    pool.shutdownNow();
    System.out.println(read);
    System.out.println("script done " + ok + "/" + connections);
  }

  private static String run(String host, int port, List<String> steps) throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 5_000);
      s.setSoTimeout(30_000);
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      int times = 1;
      int from = 0;
      for (int i = 0; i < steps.size(); i++) {
        if (steps.get(i).startsWith("repeat:")) {
          times = Integer.parseInt(steps.get(i).substring(7));
          from = i + 1;
        }
      }
      for (int i = 0; i < Math.max(0, from - 1); i++) {
        step(steps.get(i), in, out, all);
      }
      for (int t = 0; t < times; t++) {
        for (int i = from; i < steps.size(); i++) {
          step(steps.get(i), in, out, all);
        }
      }
      return all.toString(StandardCharsets.ISO_8859_1);
    }
  }

  private static void step(String step, InputStream in, OutputStream out, ByteArrayOutputStream all)
      throws Exception {
    int colon = step.indexOf(':');
    String kind = step.substring(0, colon);
    String arg = step.substring(colon + 1).replace("\\r", "\r").replace("\\n", "\n");
    switch (kind) {
      case "sleep" -> Thread.sleep(Long.parseLong(arg));
      case "send" -> {
        out.write(arg.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
      }
      case "expect" -> {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (!got.toString(StandardCharsets.ISO_8859_1).contains(arg)) {
          int b = in.read();
          if (b < 0) {
            throw new java.io.EOFException("closed before '" + arg + "'; read: " + got);
          }
          got.write(b);
        }
        all.writeBytes(got.toByteArray());
      }
      default -> throw new IllegalArgumentException("unknown step " + step);
    }
  }
}
