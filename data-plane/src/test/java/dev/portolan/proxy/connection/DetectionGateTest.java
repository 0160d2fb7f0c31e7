package dev.portolan.proxy.connection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DetectionGateTest {
  @Test
  void over_the_cap_the_oldest_still_in_detection_is_evicted_once() {
    DetectionGate gate = new DetectionGate(2);
    List<String> evicted = new ArrayList<>();
    DetectionGate.Ticket a = gate.enter(() -> evicted.add("a"));
    DetectionGate.Ticket b = gate.enter(() -> evicted.add("b"));
    assertThat(evicted).isEmpty();
    gate.enter(() -> evicted.add("c"));
    assertThat(evicted).containsExactly("a");
    assertThat(gate.leave(a)).as("a was evicted already").isFalse();
    assertThat(gate.size()).isEqualTo(2);
    // b decides: it leaves, so the next arrival fits without evicting anyone.
    assertThat(gate.leave(b)).isTrue();
    gate.enter(() -> evicted.add("d"));
    assertThat(evicted).containsExactly("a");
    gate.enter(() -> evicted.add("e"));
    assertThat(evicted).containsExactly("a", "c");
  }

  @Test
  void a_cap_below_one_is_refused() {
    assertThatThrownBy(() -> new DetectionGate(0)).hasMessageContaining("at least 1");
  }

  @Test
  void many_threads_never_leave_more_than_the_cap_in_detection() throws Exception {
    DetectionGate gate = new DetectionGate(64);
    AtomicInteger evictions = new AtomicInteger();
    AtomicInteger left = new AtomicInteger();
    int threads = 4;
    int each = 10_000;
    CountDownLatch go = new CountDownLatch(1);
    try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
      for (int t = 0; t < threads; t++) {
        int id = t;
        pool.submit(() -> {
          go.await();
          for (int i = 0; i < each; i++) {
            DetectionGate.Ticket ticket = gate.enter(evictions::incrementAndGet);
            if ((i + id) % 2 == 0 && gate.leave(ticket)) {
              left.incrementAndGet(); // half decide at once (unless evicted first), half hold
            }
          }
          return null;
        });
      }
      go.countDown();
      pool.shutdown();
      assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }
    // Every ticket left, is still in the gate, or was evicted: exactly one of the three.
    assertThat(gate.size()).isBetween(1, 64);
    assertThat(left.get() + evictions.get() + gate.size()).isEqualTo(threads * each);
  }
}
