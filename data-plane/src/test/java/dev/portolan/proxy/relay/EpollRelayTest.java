package dev.portolan.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.net.IoTransport;
import io.netty.channel.Channel;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/** The same cases for {@link EpollRelay}, on an epoll loop, and its read budget. */
class EpollRelayTest extends UringRelayTest {
  // The read-budget case: the counters of its two pairs, in the order they are joined, and a
  // latch the second pair's join waits for (so its bytes are all waiting when its relay starts).
  private volatile LongAdder[] budgetCounters;
  // The read budget of the case's pairs.
  private static final int READS = 1;
  private final AtomicInteger joins = new AtomicInteger();
  private final CountDownLatch preloaded = new CountDownLatch(1);

  @Override
  IoTransport ioTransport() {
    return IoTransport.EPOLL;
  }

  @Override
  void join(Channel a, Channel b, LongAdder aToB, LongAdder bToA, Duration idleTimeout) {
    LongAdder[] counters = budgetCounters;
    if (counters != null) {
      int i = joins.getAndIncrement();
      aToB = counters[i];
      if (i == 1) {
        await(preloaded);
      }
    }
    EpollRelay.join(
        a, b, aToB, bToA, idleTimeout, counters != null ? READS : EpollRelay.READS_PER_TURN);
  }

  /**
   * A bulk transfer whose socket never runs dry stops after its read budget and goes on in a
   * scheduled task, which the loop takes once per pass: a byte for another pair of the same loop,
   * sent when the transfer's first read happened, is relayed after a few of the transfer's turns
   * rather than after the whole transfer: at most five (in the pass it starts, one for each of its
   * two sockets' events and the task; in the next pass, the two sockets' events may come before the
   * probe's). The budget here is one read a turn: with the real one, a turn is about as large as
   * what loopback sockets buffer, and a refused write would hand the loop back to its poll whatever
   * the relay did. (An executed task in place of the scheduled one: 14 turns here.)
   */
  @Test
  void a_bulk_transfer_lets_the_loops_other_pairs_through_between_its_turns() throws Exception {
    AtomicLong bulkReadWhenProbeRelayed = new AtomicLong(-1);
    AtomicReference<Socket> probeClientRef = new AtomicReference<>();
    LongAdder bulk =
        new LongAdder() {
          private boolean poked;

          @Override
          public void add(long x) {
            super.add(x);
            if (!poked) { // the first read of the transfer: now a byte for the other pair
              poked = true;
              try {
                probeClientRef.get().getOutputStream().write('!');
              } catch (java.io.IOException e) {
                throw new UncheckedIOException(e);
              }
            }
          }
        };
    LongAdder probe =
        new LongAdder() {
          @Override
          public void add(long x) {
            super.add(x);
            if (bulk.sum() > 0) {
              bulkReadWhenProbeRelayed.compareAndSet(-1, bulk.sum());
            }
          }
        };
    budgetCounters = new LongAdder[] {probe, bulk}; // before the pairs are joined
    Socket probeClient = connect();
    probeClientRef.set(probeClient);
    try (probeClient;
        Socket probeServer = upstream.accept()) {
      // The probe pair works (a first byte through), and is idle on the loop.
      probeClient.getOutputStream().write('?');
      assertThat(probeServer.getInputStream().read()).isEqualTo('?');
      // The bulk pair: as much as the sockets hold, written before its relay starts.
      try (SocketChannel bulkClient = SocketChannel.open(listenerAddress())) {
        Socket bulkServer = upstream.accept();
        bulkClient.configureBlocking(false);
        ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
        long waiting = 0;
        for (int n; (n = bulkClient.write(chunk.clear())) > 0; ) {
          waiting += n;
        }
        int oneTurn = READS * RelayBuffer.MAX;
        assertThat(waiting).as("bytes waiting: many turns' reads").isGreaterThan(8L * oneTurn);
        preloaded.countDown();
        try (bulkServer;
            InputStream in = bulkServer.getInputStream()) {
          assertThat(in.readNBytes((int) waiting)).hasSize((int) waiting);
        }
        assertThat(probeServer.getInputStream().read()).isEqualTo('!');
        assertThat(bulk.sum()).isEqualTo(waiting);
        // Relayed in the loop's next pass, after at most five turns of the transfer.
        assertThat(bulkReadWhenProbeRelayed.get()).isBetween(1L, 5L * oneTurn);
      }
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
