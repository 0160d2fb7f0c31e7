package dev.portolan.proxy.http1;

import dev.portolan.proxy.relay.Relay;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * The switch from HTTP/1 to bytes after a 101 or a successful CONNECT: the response goes to the
 * client, both HTTP codecs leave their pipelines, and whatever either codec had already read is
 * sent before the byte relay takes over.
 */
final class Http1Tunnel {
  private Http1Tunnel() {}

  /**
   * @param fromUpstream bytes the upstream codec passed on after the response, kept in order
   */
  static void open(
      Channel client,
      Channel upstream,
      HttpResponse r,
      List<Object> fromUpstream,
      Duration idleTimeout) {
    client.write(r);
    client
        .writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
        .addListener(
            (ChannelFutureListener)
                f -> {
                  if (!f.isSuccess() || !upstream.isActive()) {
                    upstream.close();
                    client.close();
                    return;
                  }
                  List<Object> toUpstream = new ArrayList<>();
                  client
                      .pipeline()
                      .replace("http1-proxy", "http1-leftover", new Collector(toUpstream));
                  upstream
                      .pipeline()
                      .replace("upstream", "http1-leftover", new Collector(fromUpstream));
                  client.pipeline().remove("http1-codec");
                  upstream.pipeline().remove("codec");
                  client.pipeline().remove("http1-leftover");
                  upstream.pipeline().remove("http1-leftover");
                  toUpstream.forEach(upstream::write);
                  fromUpstream.forEach(client::write);
                  upstream.flush();
                  client.flush();
                  Relay.join(client, upstream, new LongAdder(), new LongAdder(), idleTimeout);
                });
  }

  /** Keeps the bytes of {@code msg} (a buffer or HTTP content); releases anything else. */
  static void keepBytes(Object msg, List<Object> into) {
    if (msg instanceof ByteBuf b) {
      into.add(b);
    } else if (msg instanceof HttpContent c && c.content().isReadable()) {
      into.add(c.content());
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  /** Catches what a codec being removed still held. */
  private static final class Collector extends ChannelInboundHandlerAdapter {
    private final List<Object> into;

    Collector(List<Object> into) {
      this.into = into;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      keepBytes(msg, into);
    }
  }
}
