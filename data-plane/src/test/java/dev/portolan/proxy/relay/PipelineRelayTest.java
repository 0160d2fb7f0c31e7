package dev.portolan.proxy.relay;

import io.netty.channel.Channel;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/**
 * The same cases for the pipeline relay ({@link Relay}: epoll, {@code PORTOLAN_RELAY=netty}, and
 * the connections {@link UringRelay} leaves to it), on the same io_uring loop.
 */
class PipelineRelayTest extends UringRelayTest {
  @Override
  void join(Channel a, Channel b, LongAdder aToB, LongAdder bToA, Duration idleTimeout) {
    Relay.join(a, b, aToB, bToA, idleTimeout);
  }
}
