package dev.portolan.proxy.relay;

import dev.portolan.proxy.net.Transport;
import io.netty.channel.Channel;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/** The same cases for {@link EpollRelay}, on an epoll loop. */
class EpollRelayTest extends UringRelayTest {
  @Override
  Transport transport() {
    return Transport.EPOLL;
  }

  @Override
  void join(Channel a, Channel b, LongAdder aToB, LongAdder bToA, Duration idleTimeout) {
    EpollRelay.join(a, b, aToB, bToA, idleTimeout);
  }
}
