package dev.portolan.proxy.relay;

import dev.portolan.proxy.net.IoTransport;
import io.netty.channel.Channel;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/**
 * Which relay drives the relayed TCP pairs of this proxy: chosen once at start from the I/O
 * transport and {@code PORTOLAN_RELAY} ({@link #of}), not per connection.
 */
public enum Relayer {
  /** Netty's pipeline ({@link Relay}): works on any channel, at any time. */
  NETTY {
    @Override
    public void join(Channel a, Channel b, LongAdder aToB, LongAdder bToA, Duration idleTimeout) {
      Relay.join(a, b, aToB, bToA, idleTimeout);
    }
  },
  /** The proxy's own io_uring submissions ({@link UringRelay}). */
  IO_URING {
    @Override
    public void join(Channel a, Channel b, LongAdder aToB, LongAdder bToA, Duration idleTimeout) {
      UringRelay.join(a, b, aToB, bToA, idleTimeout);
    }
  },
  /** The proxy's own reads and writes on epoll readiness ({@link EpollRelay}). */
  EPOLL {
    @Override
    public void join(Channel a, Channel b, LongAdder aToB, LongAdder bToA, Duration idleTimeout) {
      EpollRelay.join(a, b, aToB, bToA, idleTimeout);
    }
  };

  /**
   * @param io the transport of every data-path event loop
   * @param nativeRelay the proxy's own relay on that transport ({@code PORTOLAN_RELAY=auto}), or
   *     Netty's pipeline ({@code netty})
   */
  public static Relayer of(IoTransport io, boolean nativeRelay) {
    if (!nativeRelay) {
      return NETTY;
    }
    return switch (io) {
      case IO_URING -> IO_URING;
      case EPOLL -> EPOLL;
    };
  }

  /**
   * Whether this relay takes both sockets away from Netty: then nothing may be pending on either
   * channel when it joins them (no read asked for, every write completed), and a pair that cannot
   * promise that takes {@link #NETTY} instead.
   */
  public boolean takesSockets() {
    return this != NETTY;
  }

  /**
   * Relays between two connected channels of one event loop until both directions end, either
   * fails, or the pair is idle for {@code idleTimeout}.
   *
   * @param aToB counts bytes read from {@code a} and written to {@code b}
   */
  public abstract void join(
      Channel a, Channel b, LongAdder aToB, LongAdder bToA, Duration idleTimeout);
}
