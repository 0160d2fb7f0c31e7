package dev.portolan.proxy.connection;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstream side of the server-first race (docs/design/detection.md): sits on a connection
 * dialled after the client stayed silent for the window, and asks it for one read. Bytes from the
 * server before any from the client mean it speaks first: the race's owner is told (it joins the
 * relay), then the greeting goes on down the pipeline to the client. Once the client has spoken the
 * owner removes this handler, and a server's later bytes are no greeting.
 *
 * <p>A server that ends its side before anyone spoke (an app that refuses the connection after
 * accepting it, or a proxy whose own upstream refused) arrives as an input shutdown, not a close:
 * upstream connections allow half-closure. The owner is told, so a silent client is not left
 * hanging on a connection that can never answer.
 */
final class ServerGreeting extends ChannelInboundHandlerAdapter {
  static final String NAME = "server-greeting";
  private static final Logger log = LoggerFactory.getLogger(ServerGreeting.class);
  private final Runnable spoke;
  private final Runnable hungUp;

  private ServerGreeting(Runnable spoke, Runnable hungUp) {
    this.spoke = spoke;
    this.hungUp = hungUp;
  }

  /**
   * Watches {@code upstream} and asks it for a read; {@code spoke} runs on its event loop when the
   * server sends first, before its bytes are passed on; {@code hungUp} when it ends its side first.
   */
  static void watch(Channel upstream, Runnable spoke, Runnable hungUp) {
    upstream.pipeline().addLast(NAME, new ServerGreeting(spoke, hungUp));
    upstream.read();
  }

  /** Stops watching: the client spoke first. */
  static void stop(Channel upstream) {
    if (upstream.pipeline().get(NAME) != null) {
      upstream.pipeline().remove(NAME);
    }
  }

  /**
   * Remembers a destination found to speak first and logs, once, the annotation that would make its
   * port explicit.
   */
  static void learned(ProxyConnection.Settings s, InetSocketAddress destination) {
    if (s.serverFirst().isServerFirst(destination)) {
      return;
    }
    s.serverFirst().remember(destination);
    log.info(
        "{} speaks first: skipping detection for it from now on; make it explicit with "
            + "config.linkerd.io/opaque-ports: \"{}\" (or a Server with proxyProtocol: opaque)",
        destination,
        destination.getPort());
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    // The owner joins the relay first, so its handlers follow this one and the removed context
    // still points at them when the greeting is passed on.
    spoke.run();
    ctx.pipeline().remove(this);
    ctx.fireChannelRead(msg);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      ctx.pipeline().remove(this);
      hungUp.run();
    }
    ctx.fireUserEventTriggered(evt);
  }
}
