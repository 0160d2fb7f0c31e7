package dev.portolan.policy.grpc;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * One kind of repeated problem (an unreadable context token, a refused stream), logged at most once
 * per interval with how many there were since the last line. A client that repeats a mistake a
 * million times costs the log one line a minute; the meters count every occurrence.
 *
 * <p>A line is written when an occurrence finds the interval over, so the last occurrences before a
 * quiet spell are only in the meters until the next one.
 */
final class RepeatedWarning {
  private final Logger log;
  private final String what;
  private final long intervalNanos;
  private final LongSupplier nanos;
  private final AtomicLong unreported = new AtomicLong();
  private final AtomicLong nextLine;

  RepeatedWarning(Logger log, String what, Duration interval) {
    this(log, what, interval, System::nanoTime);
  }

  RepeatedWarning(Logger log, String what, Duration interval, LongSupplier nanos) {
    this.log = log;
    this.what = what;
    this.intervalNanos = interval.toNanos();
    this.nanos = nanos;
    this.nextLine = new AtomicLong(nanos.getAsLong());
  }

  /**
   * Counts one occurrence; logs if the interval is over. {@code latest} describes it, from text
   * already escaped and cut; it is built only when a line is written.
   */
  void warn(Supplier<String> latest) {
    warn(latest, null);
  }

  /** As {@link #warn(Supplier)}, with the cause's stack trace in the line (for server faults). */
  void warn(Supplier<String> latest, @Nullable Throwable cause) {
    unreported.incrementAndGet();
    long now = nanos.getAsLong();
    long next = nextLine.get();
    if (now - next >= 0 && nextLine.compareAndSet(next, now + intervalNanos)) {
      long count = unreported.getAndSet(0);
      String line = "{}: {} since the last report (at most one line per {}s); latest: {}";
      long seconds = Math.max(1, Duration.ofNanos(intervalNanos).toSeconds());
      if (cause == null) {
        log.warn(line, what, count, seconds, latest.get());
      } else {
        log.error(line, what, count, seconds, latest.get(), cause);
      }
    }
  }
}
