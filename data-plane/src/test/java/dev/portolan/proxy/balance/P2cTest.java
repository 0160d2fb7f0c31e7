package dev.portolan.proxy.balance;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class P2cTest {
  private final InetSocketAddress fast = new InetSocketAddress("10.0.0.1", 80);
  private final InetSocketAddress slow = new InetSocketAddress("10.0.0.2", 80);
  private final List<InetSocketAddress> both = List.of(fast, slow);

  @Test
  void a_slow_answer_steers_requests_away_at_once() {
    P2c p2c = new P2c();
    long now = System.nanoTime();
    P2c.Load s = p2c.load(slow);
    s.start();
    s.end(2_000_000_000L, now); // one 2 s answer: the peak counts immediately
    P2c.Load f = p2c.load(fast);
    f.start();
    f.end(1_000_000L, now);
    for (int i = 0; i < 100; i++) {
      assertThat(p2c.pick(both, a -> a)).isEqualTo(fast);
    }
  }

  @Test
  void work_in_flight_counts_against_an_endpoint() {
    P2c p2c = new P2c();
    for (int i = 0; i < 3; i++) {
      p2c.load(fast).start();
    }
    assertThat(p2c.pick(both, a -> a)).isEqualTo(slow);
    for (int i = 0; i < 3; i++) {
      p2c.load(fast).end();
    }
    p2c.load(slow).start();
    assertThat(p2c.pick(both, a -> a)).isEqualTo(fast);
  }

  @Test
  void the_estimate_decays_back_so_a_once_slow_endpoint_is_tried_again() {
    P2c.Load load = new P2c.Load(0);
    load.start();
    load.end(5_000_000_000L, 0);
    double right = load.cost(0);
    double later = load.cost(60_000_000_000L); // six time constants later
    assertThat(later).isLessThan(right / 100);
  }

  @Test
  void fast_answers_pull_the_estimate_down_gradually() {
    P2c.Load load = new P2c.Load(0);
    load.start();
    load.end(100_000_000L, 0);
    load.start();
    load.end(1_000_000L, 1_000_000_000L); // one second later, a 1 ms answer
    double cost = load.cost(1_000_000_000L);
    assertThat(cost).isLessThan(100_000_000d).isGreaterThan(80_000_000d);
  }

  @Test
  void none_and_one() {
    P2c p2c = new P2c();
    assertThat(p2c.pick(List.<InetSocketAddress>of(), a -> a)).isNull();
    assertThat(p2c.pick(List.of(slow), a -> a)).isEqualTo(slow);
  }
}
