package dev.portolan.proxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** When the proxy asks for the full collection that gives an evicted burst's heap back. */
class HeapGiveBackTest {
  private final AtomicInteger collections = new AtomicInteger();
  private final HeapGiveBack giveBack = new HeapGiveBack(100, collections::incrementAndGet);

  @Test
  void collects_one_sweep_after_a_large_eviction() {
    assertThat(giveBack.swept(60)).isFalse(); // the watches go
    assertThat(giveBack.swept(60)).isFalse(); // their series, one sweep later: 120 in all
    assertThat(collections).hasValue(0);
    assertThat(giveBack.swept(0)).isTrue(); // the sweep after: what they held is garbage now
    assertThat(collections).hasValue(1);
    assertThat(giveBack.swept(0)).isFalse(); // and only once
    assertThat(giveBack.swept(0)).isFalse();
    assertThat(collections).hasValue(1);
  }

  @Test
  void small_evictions_add_up_before_one_collection() {
    for (int i = 0; i < 9; i++) {
      assertThat(giveBack.swept(10)).isFalse();
      assertThat(giveBack.swept(0)).isFalse();
    }
    assertThat(giveBack.swept(10)).isFalse(); // 100: the threshold
    assertThat(giveBack.swept(0)).isTrue();
    assertThat(collections).hasValue(1);
  }

  @Test
  void an_eviction_that_never_stops_collects_at_most_every_other_sweep() {
    int collected = 0;
    for (int i = 0; i < 40; i++) {
      if (giveBack.swept(100)) {
        collected++;
      }
    }
    assertThat(collected).isEqualTo(20);
  }

  @Test
  void a_threshold_below_one_is_refused() {
    assertThatThrownBy(() -> new HeapGiveBack(0, () -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 1: 0");
  }
}
