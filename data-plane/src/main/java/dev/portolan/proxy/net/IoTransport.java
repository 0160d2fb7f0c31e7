package dev.portolan.proxy.net;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.UnixChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The Linux socket transport under every event loop of the proxy: io_uring where the kernel offers
 * it (fewer system calls per relayed message: submissions and completions are batched per loop
 * turn), epoll otherwise. Container runtimes often forbid io_uring in their seccomp profile, so
 * {@code auto} falls back to epoll rather than fail. (The I/O transport, set by {@code
 * PORTOLAN_TRANSPORT}; "transport" alone in this code base means the transport header of the {@code
 * transport} package.)
 */
public enum IoTransport {
  IO_URING,
  EPOLL;

  /**
   * @param setting {@code auto} (io_uring if available, else epoll), {@code io_uring} or {@code
   *     epoll}
   * @throws IllegalArgumentException on another value, or when the asked transport is unavailable
   */
  public static IoTransport choose(String setting) {
    return switch (setting.trim().toLowerCase(Locale.ROOT)) {
      case "auto", "" -> IoUring.isAvailable() ? IO_URING : EPOLL;
      case "io_uring", "io-uring", "iouring" ->
          IO_URING.required(
              IoUring.isAvailable(), IoUring.unavailabilityCause(), "; use auto or epoll");
      case "epoll" -> EPOLL.required(Epoll.isAvailable(), Epoll.unavailabilityCause(), "");
      default ->
          throw new IllegalArgumentException(
              "PORTOLAN_TRANSPORT: '" + setting + "' is not one of auto, io_uring, epoll");
    };
  }

  /** This transport, asked for by name: it must be there, or the proxy says why not. */
  private IoTransport required(boolean available, Throwable cause, String hint) {
    if (!available) {
      throw new IllegalArgumentException(
          "PORTOLAN_TRANSPORT="
              + label()
              + ": "
              + label()
              + " is not available here ("
              + cause
              + ")"
              + hint);
    }
    return this;
  }

  /** The name shown in logs and metrics. */
  public String label() {
    return this == IO_URING ? "io_uring" : "epoll";
  }

  /**
   * The event loops' I/O handlers; on io_uring without the datagram header pool the proxy never
   * uses ({@link DatagramHeaders}).
   */
  public IoHandlerFactory handlers() {
    return this == IO_URING
        ? DatagramHeaders.shrinking(IoUringIoHandler.newFactory())
        : EpollIoHandler.newFactory();
  }

  public Class<? extends ServerChannel> serverChannel() {
    return this == IO_URING ? IoUringServerSocketChannel.class : EpollServerSocketChannel.class;
  }

  public Class<? extends Channel> socketChannel() {
    return this == IO_URING ? IoUringSocketChannel.class : EpollSocketChannel.class;
  }

  /**
   * A connection to an upstream, on the client's event loop (and so its transport): the one dial of
   * the TCP relay and the HTTP pools.
   */
  public static Dial dial(EventLoop loop, Duration connectTimeout) {
    return new Dial(
        new Bootstrap()
            .group(loop)
            .channel(of(loop).socketChannel())
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis()));
  }

  /** A dial being prepared: the caller's channel options, then its target and handlers. */
  public static final class Dial {
    private final Bootstrap bootstrap;

    private Dial(Bootstrap bootstrap) {
      this.bootstrap = bootstrap;
    }

    public <T> Dial option(ChannelOption<T> option, T value) {
      bootstrap.option(option, value);
      return this;
    }

    /**
     * Connects to {@code target}; {@code pipeline} installs the new channel's handlers before it
     * connects. A socket to this host's loopback (the inbound proxy's leg to its app) first gets
     * the loopback leg's congestion control ({@link LoopbackLeg}).
     */
    public ChannelFuture connect(InetSocketAddress target, Consumer<Channel> pipeline) {
      return bootstrap
          .handler(
              new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                  LoopbackLeg.dialling(ch, target);
                  pipeline.accept(ch);
                }
              })
          .connect(target);
    }
  }

  /** The transport of an event loop: upstream connections are made on their client's loop. */
  public static IoTransport of(EventLoop loop) {
    return loop instanceof IoEventLoop io && io.isIoType(IoUringIoHandler.class) ? IO_URING : EPOLL;
  }

  /** The socket's file descriptor (for {@code getsockopt(SO_ORIGINAL_DST)}). */
  public static int fd(Channel ch) {
    return ((UnixChannel) ch).fd().intValue();
  }
}
