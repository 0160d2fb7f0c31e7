package dev.portolan.proxy.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.unix.RawUnixChannelOption;
import java.nio.ByteBuffer;

/**
 * {@code getsockopt} and {@code setsockopt} on a channel's socket, for what the proxy asks of its
 * sockets that Netty's named options do not cover: through Netty's raw socket options, which both
 * of the proxy's transports (io_uring and epoll) pass to the kernel with their own native code.
 *
 * <p>Not the FFM API: a downcall handle costs the JVM ~500 classes (the linker, its ABI and the
 * stubs it generates) and ~2 MiB of metaspace in every proxy, for two system calls that Netty's
 * library already makes (docs/proxy.md, "Memory").
 */
final class SocketCalls {
  private SocketCalls() {}

  /** A call the kernel refused: Netty's message, which ends with the C library's error text. */
  static final class Refused extends Exception {
    Refused(ChannelException e) {
      super(e.getCause() != null ? e.getCause().getMessage() : e.getMessage(), e);
    }
  }

  /**
   * The option {@code (level, name)} with a value of {@code length} bytes. Make each once and keep
   * it: every option is a new constant of Netty's.
   */
  static RawUnixChannelOption option(String label, int level, int name, int length) {
    return new RawUnixChannelOption(label, level, name, length);
  }

  /** {@code getsockopt}: the option's value, flipped. */
  static ByteBuffer get(Channel ch, RawUnixChannelOption option) throws Refused {
    try {
      return ch.config().getOption(option);
    } catch (ChannelException e) {
      throw new Refused(e);
    }
  }

  /** {@code setsockopt} with the value's remaining bytes (the option's length). */
  static void set(Channel ch, RawUnixChannelOption option, ByteBuffer value) throws Refused {
    try {
      ch.config().setOption(option, value);
    } catch (ChannelException e) {
      throw new Refused(e);
    }
  }
}
