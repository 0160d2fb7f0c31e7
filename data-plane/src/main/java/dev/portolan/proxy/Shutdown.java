package dev.portolan.proxy;

import dev.portolan.proxy.http.Draining;
import io.netty.channel.Channel;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The proxy's graceful shutdown (docs/proxy.md, <i>Shutdown</i>): it knows the listeners and every
 * accepted connection, and on {@link #drain} it stops being ready, closes the listeners (a new
 * connection is refused), tells each connection to finish ({@link Draining}) and waits until none
 * is left or the grace is over.
 *
 * <p>It runs in a JVM shutdown hook: the JVM runs its hooks on SIGTERM (and on {@code System.exit})
 * and keeps every other thread, the event loops included, running until they return, so a hook that
 * waits is all it takes to keep serving during the grace, with no unsupported signal API ({@code
 * sun.misc.Signal}, which would also have to re-create the exit path).
 */
final class Shutdown {
  private final Set<Channel> open = ConcurrentHashMap.newKeySet();
  private final List<Channel> listeners = new CopyOnWriteArrayList<>();
  private final CountDownLatch drained = new CountDownLatch(1);
  private final Duration grace;
  private volatile boolean draining;

  Shutdown(Duration grace) {
    this.grace = grace;
  }

  /** A listening channel, closed first when the drain starts. */
  Channel listener(Channel server) {
    listeners.add(server);
    return server;
  }

  /** An accepted connection: the drain waits for it. Call from its channel initializer. */
  void track(Channel ch) {
    open.add(ch);
    ch.closeFuture()
        .addListener(f -> {
          open.remove(ch);
          checkDrained();
        });
    if (draining) {
      // Accepted just before its listener closed: it is served, and told to finish, as the rest.
      tell(ch);
    }
  }

  /** False from the moment the drain starts: {@code /ready} answers 503. */
  boolean draining() {
    return draining;
  }

  /** Connections open now. */
  int open() {
    return open.size();
  }

  /**
   * Drains and returns when no connection is left or the grace is over, whichever comes first.
   *
   * @param pools runs once the connections were told, to retire the upstream pools (GOAWAY to
   *     HTTP/2 upstreams, idle HTTP/1 upstreams closed)
   * @return the connections left open when the grace ended (0 when all finished)
   */
  int drain(Runnable pools) throws InterruptedException {
    long start = System.nanoTime();
    draining = true;
    for (Channel l : listeners) {
      l.close().await(1, TimeUnit.SECONDS);
    }
    System.out.printf(
        "portolan-proxy draining: %d connections open, listeners closed, grace %d ms%n",
        open.size(), grace.toMillis());
    System.out.flush();
    for (Channel ch : List.copyOf(open)) {
      tell(ch);
    }
    pools.run();
    checkDrained();
    boolean all = drained.await(grace.toMillis(), TimeUnit.MILLISECONDS);
    int left = all ? 0 : open.size();
    long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    if (left == 0) {
      System.out.printf("portolan-proxy drained: no connection left after %d ms, exiting%n", took);
    } else {
      System.out.printf(
          "portolan-proxy drain: grace of %d ms over, closing the %d connections left%n",
          grace.toMillis(), left);
      for (Channel ch : List.copyOf(open)) {
        // One a native relay drives is not registered: the process exit closes its socket (the
        // relay may still have operations in flight on it).
        if (ch.isRegistered()) {
          ch.close();
        }
      }
    }
    System.out.flush();
    return left;
  }

  private void tell(Channel ch) {
    // A connection whose socket a native relay took over is not registered: it is opaque, kept
    // until it closes, and has no pipeline to tell.
    if (ch.isRegistered()) {
      ch.pipeline().fireUserEventTriggered(new Draining(grace));
    }
  }

  private void checkDrained() {
    if (draining && open.isEmpty()) {
      drained.countDown();
    }
  }
}
