package dev.portolan.proxy.identity;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Runs a task once after a delay: a real executor in the proxy, virtual time in tests. */
@FunctionalInterface
public interface Scheduler {
  void schedule(Duration delay, Runnable task);

  static Scheduler of(ScheduledExecutorService executor) {
    return (delay, task) -> executor.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
  }
}
