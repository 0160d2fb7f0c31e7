package dev.portolan.proxy.peers;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A port scanner for the test bed: connects to {@code count} consecutive ports of one address (a
 * pod the test made), {@code parallel} at a time, and waits on each for the other side to close, so
 * every port is one destination the client's proxy routed. Bounded: at most 10 s per port and 15
 * minutes in all.
 */
public final class PortScanner {
  private PortScanner() {}

  public static void main(String[] args) throws Exception {
    String host = args[0];
    int from = Integer.parseInt(args[1]);
    int count = Integer.parseInt(args[2]);
    int parallel = Integer.parseInt(args[3]);
    Semaphore slots = new Semaphore(parallel);
    AtomicInteger done = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    long start = System.nanoTime();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < count; i++) {
        int port = from + i;
        slots.acquire();
        pool.submit(() -> {
          try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 10_000);
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            while (in.read() >= 0) {
              // the proxy closes once its upstream connect was refused
            }
          } catch (IOException e) {
            failed.incrementAndGet();
          } finally {
            int n = done.incrementAndGet();
            if (n % 5_000 == 0) {
              System.out.println("scanned " + n);
            }
            slots.release();
          }
        });
        if (System.nanoTime() - start > TimeUnit.MINUTES.toNanos(15)) {
          break;
        }
      }
    }
    System.out.println(
        "scan done: "
            + done.get()
            + " ports in "
            + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)
            + " ms, "
            + failed.get()
            + " failed");
  }
}
