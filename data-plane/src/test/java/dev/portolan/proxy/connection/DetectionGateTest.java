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
  void the_evictions_since_the_last_look_are_counted_for_the_heap_give_back() {
    DetectionGate gate = new DetectionGate(1);
    assertThat(gate.takeEvicted()).isZero();
    DetectionGate.Ticket first = gate.enter(() -> {});
    gate.enter(() -> {});
    gate.enter(() -> {});
    assertThat(gate.leave(first)).isFalse();
    assertThat(gate.takeEvicted()).isEqualTo(2);
    assertThat(gate.takeEvicted()).as("taken: counted once").isZero();
    gate.enter(() -> {});
    assertThat(gate.takeEvicted()).isEqualTo(1);
  }

  @Test
  void one_that_spoke_and_did_not_decide_goes_before_one_not_read_yet() {
    DetectionGate gate = new DetectionGate(3);
    List<String> evicted = new ArrayList<>();
    // A connection whose request waits unread (the loop accepting a storm) is the oldest.
    DetectionGate.Ticket user = gate.enter(() -> evicted.add("user"));
    DetectionGate.Ticket slow1 = gate.enter(() -> evicted.add("slow1"));
    DetectionGate.Ticket slow2 = gate.enter(() -> evicted.add("slow2"));
    gate.spoke(slow2);
    gate.spoke(slow1); // ordered by when each spoke, not when it entered
    gate.enter(() -> evicted.add("new1"));
    gate.enter(() -> evicted.add("new2"));
    assertThat(evicted).containsExactly("slow2", "slow1");
    assertThat(gate.leave(slow1)).isFalse();
    // With no connection that spoke left, age alone decides again.
    gate.enter(() -> evicted.add("new3"));
    assertThat(evicted).containsExactly("slow2", "slow1", "user");
    assertThat(gate.leave(user)).isFalse();
    gate.spoke(user); // evicted already: nothing
    assertThat(gate.size()).isEqualTo(3);
  }

  @Test
  void spoke_twice_keeps_the_place_of_the_first_time() {
    DetectionGate gate = new DetectionGate(2);
    List<String> evicted = new ArrayList<>();
    DetectionGate.Ticket a = gate.enter(() -> evicted.add("a"));
    DetectionGate.Ticket b = gate.enter(() -> evicted.add("b"));
    gate.spoke(a);
    gate.spoke(b);
    gate.spoke(a);
    gate.enter(() -> evicted.add("c"));
    assertThat(evicted).containsExactly("a");
    assertThat(gate.leave(b)).isTrue();
    assertThat(gate.size()).isEqualTo(1);
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
    assertThat(gate.takeEvicted()).isEqualTo(evictions.get());
  }
}
