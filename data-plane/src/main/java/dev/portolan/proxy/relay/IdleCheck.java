package dev.portolan.proxy.relay;

import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Idleness of a relayed pair, checked coarsely: a Netty {@code IdleStateHandler} per channel would
 * add a listener and a clock read to every message, and the relay moves small messages at a high
 * rate. Every read and completed write sets a flag; a timer every quarter of the timeout clears it,
 * and the pair closes at the fourth tick in a row that finds it clear. The pair is so closed after
 * between 1 and 1.25 times the timeout without traffic. The native relays ({@link UringRelay},
 * {@link EpollRelay}) and a connection still in Netty's pipeline ({@link IdleHandler}) use the same
 * check.
 */
final class IdleCheck implements Runnable {
  static final int TICKS = 4;
  private final Channel a;
  private final long tickNanos;
  private final Runnable onIdle;
  // Null only between the constructor and start's first schedule().
  private @Nullable ScheduledFuture<?> next;
  private int quietTicks;
  private boolean stopped;
  // Set on the pair's event loop only, read there by the timer: a plain field.
  boolean active;

  private IdleCheck(Channel a, Duration timeout, Runnable onIdle) {
    this.a = a;
    this.tickNanos = Math.max(1, timeout.toNanos() / TICKS);
    this.onIdle = onIdle;
  }

  static IdleCheck start(Channel a, Channel b, Duration timeout) {
    return start(
        a,
        timeout,
        () -> {
          a.close();
          b.close();
        });
  }

  /**
   * @param a the pair's side whose loop runs the timer and whose close cancels it
   * @param onIdle closes the pair (run on the pair's loop)
   */
  static IdleCheck start(Channel a, Duration timeout, Runnable onIdle) {
    IdleCheck check = new IdleCheck(a, timeout, onIdle);
    check.schedule();
    // A closed pair leaves no timer behind (it would hold both channels until it fired).
    a.closeFuture().addListener(f -> check.cancelTimer());
    return check;
  }

  private void schedule() {
    next = a.eventLoop().schedule(this, tickNanos, TimeUnit.NANOSECONDS);
  }

  /** No more ticks: another check took over (on the pair's loop). */
  void stop() {
    stopped = true;
    cancelTimer();
  }

  private void cancelTimer() {
    ScheduledFuture<?> n = next;
    if (n != null) {
      n.cancel(false);
    }
  }

  @Override
  public void run() {
    if (stopped || !a.isOpen()) {
      return;
    }
    if (active) {
      active = false;
      quietTicks = 0;
    } else if (++quietTicks >= TICKS) {
      onIdle.run();
      return;
    }
    schedule();
  }
}
