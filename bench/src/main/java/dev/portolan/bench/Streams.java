package dev.portolan.bench;

import dev.portolan.api.destination.DestinationGrpc;
import dev.portolan.api.destination.GetDestination;
import dev.portolan.api.destination.Update;
import dev.portolan.api.destination.WeightedAddr;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Real Destination.Get streams over real HTTP/2 connections on loopback, 100 streams per
 * connection, each watching for a marker (an identity prefix) to appear in an update.
 */
final class Streams implements AutoCloseable {
  static final int STREAMS_PER_CONNECTION = 100;

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

    void arrive(int stream) {
      if (seen.compareAndSet(stream, null, Boolean.TRUE)) {
        lastNanos.accumulateAndGet(System.nanoTime(), Math::max);
        remaining.countDown();
      }
    }
  }

  private final List<ManagedChannel> channels = new ArrayList<>();
  private final AtomicReference<Round> round = new AtomicReference<>();
  private final CountDownLatch firstMessages;
  private final List<String> paths;
  private volatile boolean closing;

  /** Opens one stream per path (paths may repeat). */
  Streams(int port, List<String> paths) {
    this.paths = paths;
    firstMessages = new CountDownLatch(paths.size());
    DestinationGrpc.DestinationStub stub = null;
    for (int i = 0; i < paths.size(); i++) {
      if (i % STREAMS_PER_CONNECTION == 0) {
        ManagedChannel ch =
            NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        channels.add(ch);
        stub = DestinationGrpc.newStub(ch);
      }
      int id = i;
      stub.get(
          GetDestination.newBuilder().setScheme("k8s").setPath(paths.get(i)).build(),
          new StreamObserver<>() {
            boolean first = true;

            @Override
            public void onNext(Update u) {
              if (first) {
                first = false;
                firstMessages.countDown();
              }
              Round r = round.get();
              if (r != null && u.hasAdd()) {
                for (WeightedAddr a : u.getAdd().getAddrsList()) {
                  if (a.getTlsIdentity().getDnsLikeIdentity().getName().startsWith(r.marker)) {
                    r.arrive(id);
                  }
                }
              }
            }

            @Override
            public void onError(Throwable t) {
              if (!closing) {
                System.err.println("stream " + id + " failed: " + t);
              }
            }

            @Override
            public void onCompleted() {}
          });
    }
  }

  void awaitFirstMessages() throws InterruptedException {
    if (!firstMessages.await(60, TimeUnit.SECONDS)) {
      throw new IllegalStateException(firstMessages.getCount() + " streams got no first message");
    }
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
    channels.forEach(ManagedChannel::shutdownNow);
  }
}
