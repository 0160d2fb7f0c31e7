package dev.portolan.bench;

import dev.portolan.api.destination.DestinationGrpc;
import dev.portolan.api.destination.GetDestination;
import dev.portolan.api.destination.Update;
import dev.portolan.api.destination.WeightedAddr;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Real Destination.Get streams over real HTTP/2 connections on loopback, {@code perConnection}
 * streams per connection, each sending its own context token (a distinct pod name, as proxies do),
 * each watching for a marker (an identity prefix, or {@value #OPAQUE_TRANSPORT}{@code 0|1}: an
 * address told not to / to rewrite to the inbound port) to appear in an update.
 *
 * <p>A stream is <em>complete</em> when it holds {@code expectAddresses} addresses. When a stream
 * ends it opens again after the proxy's backoff (jittered, 100 ms doubling to 5 s, as {@code
 * dev.portolan.proxy.discovery.Watch} does), starting from nothing, so a server restart is seen as
 * a real fleet of proxies would see it. A <em>stalled</em> fleet never reads a message.
 */
final class Streams implements AutoCloseable {
  static final int STREAMS_PER_CONNECTION = 100;

  /**
   * How the fleet behaves.
   *
   * @param window the HTTP/2 stream window each connection offers, in bytes (0: grpc-java's 1 MiB)
   * @param firstId the number of the fleet's first proxy (its token names it): fleets side by side
   *     do not repeat each other's tokens
   */
  record Options(int perConnection, int expectAddresses, boolean stall, int window, int firstId) {
    static final Options READERS = new Options(STREAMS_PER_CONNECTION, 1, false, 0, 0);
  }

  /** A marker naming a hint, not an identity: {@code #opaque-transport=1} or {@code =0}. */
  static final String OPAQUE_TRANSPORT = "#opaque-transport=";

  /** One measured round: who has seen the marker, and when the last one did. */
  static final class Round {
    final String marker;
    final CountDownLatch remaining;
    final AtomicReferenceArray<Boolean> seen;
    final AtomicLong lastNanos = new AtomicLong();

    Round(String marker, int streams, int total) {
      this.marker = marker;
      this.remaining = new CountDownLatch(streams);
      this.seen = new AtomicReferenceArray<>(total);
    }

    boolean matches(WeightedAddr a) {
      if (marker.startsWith(OPAQUE_TRANSPORT)) {
        return a.getProtocolHint().hasOpaqueTransport() == marker.endsWith("1");
      }
      return a.getTlsIdentity().getDnsLikeIdentity().getName().startsWith(marker);
    }

    void arrive(int stream) {
      if (seen.compareAndSet(stream, null, Boolean.TRUE)) {
        lastNanos.accumulateAndGet(System.nanoTime(), Math::max);
        remaining.countDown();
      }
    }
  }

  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<DestinationGrpc.DestinationStub> stubs = new ArrayList<>();
  private final AtomicReference<Round> round = new AtomicReference<>();
  private final ScheduledExecutorService retries =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("stream-retries").unstarted(r));
  private final List<String> paths;
  private final Options options;
  private final CountDownLatch firstMessages;
  private final AtomicInteger complete = new AtomicInteger();
  private final AtomicLong lastCompleteNanos = new AtomicLong();
  private final AtomicInteger failures = new AtomicInteger();
  private volatile boolean closing;

  Streams(int port, List<String> paths) {
    this(port, paths, Options.READERS);
  }

  /** Opens one stream per path (paths may repeat). */
  Streams(int port, List<String> paths, Options options) {
    this.paths = paths;
    this.options = options;
    this.firstMessages = new CountDownLatch(paths.size());
    for (int i = 0; i < paths.size(); i++) {
      if (i % options.perConnection() == 0) {
        NettyChannelBuilder b = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext();
        if (options.window() > 0) {
          b.flowControlWindow(options.window());
        }
        ManagedChannel ch = b.build();
        channels.add(ch);
        stubs.add(DestinationGrpc.newStub(ch));
      }
      new Subscriber(i).open();
    }
  }

  /** What proxy {@code i} of the fleet sends: its namespace, node and pod. */
  static String token(int i) {
    return "{\"ns\":\"clients-"
        + (i % 50)
        + "\",\"nodeName\":\"node-"
        + (i % 200)
        + "\",\"pod\":\"client-"
        + i
        + "-7f9c6d5b8-x"
        + Integer.toString(i * 7919 % 46_656, 36)
        + "\"}\n";
  }

  void awaitFirstMessages() throws InterruptedException {
    if (!firstMessages.await(120, TimeUnit.SECONDS)) {
      throw new IllegalStateException(firstMessages.getCount() + " streams got no first message");
    }
  }

  /** Streams holding their whole answer now. */
  int complete() {
    return complete.get();
  }

  /** When the last stream became complete ({@link System#nanoTime()}). */
  long lastCompleteNanos() {
    return lastCompleteNanos.get();
  }

  /** Streams that have ended (and opened again) so far. */
  int failures() {
    return failures.get();
  }

  int size() {
    return paths.size();
  }

  /** Starts a round expecting {@code streams} receivers of {@code marker}. */
  Round begin(String marker, int streams) {
    Round r = new Round(marker, streams, paths.size());
    round.set(r);
    return r;
  }

  @Override
  public void close() {
    closing = true;
    retries.shutdownNow();
    channels.forEach(ManagedChannel::shutdownNow);
  }

  /** One stream, opened again whenever it ends. */
  private final class Subscriber implements ClientResponseObserver<GetDestination, Update> {
    private final int id;
    private int attempts;
    private int addresses;
    private boolean counted;
    private boolean first = true;

    Subscriber(int id) {
      this.id = id;
    }

    void open() {
      addresses = 0;
      stubs
          .get(id / options.perConnection())
          .get(
              GetDestination.newBuilder()
                  .setScheme("k8s")
                  .setPath(paths.get(id))
                  .setContextToken(token(options.firstId() + id))
                  .build(),
              this);
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<GetDestination> call) {
      if (options.stall()) {
        call.disableAutoRequestWithInitial(0);
      }
    }

    @Override
    public synchronized void onNext(Update u) {
      if (first) {
        first = false;
        firstMessages.countDown();
      }
      attempts = 0;
      if (u.hasAdd()) {
        addresses += u.getAdd().getAddrsCount();
        Round r = round.get();
        if (r != null) {
          for (WeightedAddr a : u.getAdd().getAddrsList()) {
            if (r.matches(a)) {
              r.arrive(id);
            }
          }
        }
      } else if (u.hasRemove()) {
        addresses -= u.getRemove().getAddrsCount();
      }
      if (!counted && addresses == options.expectAddresses()) {
        counted = true;
        complete.incrementAndGet();
        lastCompleteNanos.accumulateAndGet(System.nanoTime(), Math::max);
      }
    }

    @Override
    public synchronized void onError(Throwable t) {
      ended();
    }

    @Override
    public synchronized void onCompleted() {
      ended();
    }

    private void ended() {
      if (closing) {
        return;
      }
      failures.incrementAndGet();
      if (counted) {
        counted = false;
        complete.decrementAndGet();
      }
      long base = Math.min(5_000, 100L << Math.min(attempts++, 6));
      long delay = base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
      try {
        retries.schedule(this::open, delay, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        // closing: the fleet is going away
      }
    }
  }
}
