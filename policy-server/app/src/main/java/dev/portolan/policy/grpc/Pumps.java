package dev.portolan.policy.grpc;

import dev.portolan.policy.metrics.PortolanMetrics;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What every stream pump of a server shares: where drains run, the timer that notices a stream
 * nobody reads, the meters, the limits, and the aggregated warnings.
 *
 * @param drains runs each drain (a thread per core: drains never block)
 * @param timers one thread for the unread-stream checks
 */
record Pumps(
    Executor drains,
    ScheduledExecutorService timers,
    PortolanMetrics metrics,
    LimitsProperties limits,
    RepeatedWarning unread,
    RepeatedWarning failures) {

  /** The largest message a pump writes when it can choose, in bytes. */
  int maxUpdateBytes() {
    return (int) Math.min(Integer.MAX_VALUE, limits.maxUpdateSize().toBytes());
  }
}
