package dev.portolan.proxy.identity;

import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.PriorityQueue;

/**
 * Virtual time for {@link ProxyIdentity}: a clock that moves only when told, and a scheduler whose
 * tasks run, on the test's thread, when {@link #runNext()} reaches them.
 */
final class ManualTime extends Clock implements Scheduler {
  private record Task(Instant due, long seq, Runnable run) {}

  private final PriorityQueue<Task> tasks =
      new PriorityQueue<>(
          (a, b) -> a.due.equals(b.due) ? Long.compare(a.seq, b.seq) : a.due.compareTo(b.due));
  private volatile Instant now;
  private long seq;

  ManualTime(Instant start) {
    this.now = start;
  }

  @Override
  public synchronized void schedule(Duration delay, Runnable task) {
    tasks.add(new Task(now.plus(delay.isNegative() ? Duration.ZERO : delay), seq++, task));
  }

  /** When the next task is due, relative to now; null when none is pending. */
  synchronized Duration nextIn() {
    Task t = tasks.peek();
    return t == null ? null : Duration.between(now, t.due);
  }

  synchronized int pending() {
    return tasks.size();
  }

  /**
   * Moves the clock to the next task and runs it, then runs what that brings due at once (the hop
   * of a gRPC answer back to the scheduler), until the attempt has ended in a task in the future
   * (every attempt ends so: a retry or a renewal).
   */
  void runNext() {
    Task t;
    synchronized (this) {
      t = tasks.poll();
      if (t == null) {
        throw new AssertionError("nothing scheduled");
      }
      now = t.due;
    }
    t.run.run();
    while (true) {
      await().atMost(Duration.ofSeconds(20)).until(() -> pending() > 0);
      synchronized (this) {
        t = tasks.peek();
        if (t.due.isAfter(now)) {
          return;
        }
        tasks.poll();
      }
      t.run.run();
    }
  }

  /** Moves the clock forward without running anything that comes due. */
  void advance(Duration d) {
    now = now.plus(d);
  }

  @Override
  public Instant instant() {
    return now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException();
  }
}
