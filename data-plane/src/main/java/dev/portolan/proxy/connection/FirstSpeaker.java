package dev.portolan.proxy.connection;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After the server-first window, watches which side sends first. A server that speaks first is
 * counted, remembered, and logged once with the annotation that would make the port explicit.
 */
final class FirstSpeaker extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(FirstSpeaker.class);
  private final AtomicBoolean decided;
  private final boolean server;
  private final InetSocketAddress destination;
  private final ProxyConnection.Settings s;

  private FirstSpeaker(
      AtomicBoolean decided,
      boolean server,
      InetSocketAddress destination,
      ProxyConnection.Settings s) {
    this.decided = decided;
    this.server = server;
    this.destination = destination;
    this.s = s;
  }

  static void watch(
      Channel client, Channel upstream, InetSocketAddress destination, ProxyConnection.Settings s) {
    AtomicBoolean decided = new AtomicBoolean();
    client.pipeline().addLast("first-speaker", new FirstSpeaker(decided, false, destination, s));
    upstream.pipeline().addLast("first-speaker", new FirstSpeaker(decided, true, destination, s));
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (decided.compareAndSet(false, true)) {
      String result = server ? "server_first" : "tcp";
      s.metrics()
          .counter(s.direction() + "_tcp_detect_results_total", "result", result)
          .increment();
      if (server && !s.serverFirst().isServerFirst(destination)) {
        s.serverFirst().remember(destination);
        log.info(
            "{} speaks first: skipping detection for it from now on; make it explicit with "
                + "config.linkerd.io/opaque-ports: \"{}\" (or a Server with proxyProtocol: opaque)",
            destination,
            destination.getPort());
      }
    }
    ctx.pipeline().remove(this);
    ctx.fireChannelRead(msg);
  }
}
