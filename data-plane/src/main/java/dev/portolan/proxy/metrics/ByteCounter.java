package dev.portolan.proxy.metrics;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.util.AttributeKey;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * Counts the bytes a connection reads and writes, for connections whose pipeline turns bytes into
 * messages (HTTP): sits first in the pipeline, before any codec, but behind TLS when the connection
 * is mesh TLS. The {@code tcp_*_bytes_total} families count the application's bytes on every path,
 * as Linkerd's transport metrics wrap the stream its TLS server has already terminated: a relay
 * counts what it copies (plaintext), so an HTTP connection under mesh TLS must not count records,
 * handshake and padding (docs/design/admin-and-metrics.md).
 */
public final class ByteCounter extends ChannelDuplexHandler {
  private static final AttributeKey<List<String>> BEHIND =
      AttributeKey.valueOf("portolan.byteCounter.behind");

  private final LongAdder read;
  private final LongAdder written;
  // What this instance added: taken back if it turns out to have counted TLS records.
  private long ownRead;
  private long ownWritten;

  public ByteCounter(LongAdder read, LongAdder written) {
    this.read = read;
    this.written = written;
  }

  /**
   * The names of the handlers that terminate {@code ch}'s TLS (the TLS handler, then any that must
   * stay right behind it while present), set by whoever installs them so that a counter added first
   * later goes behind the last of them present. By name, not by class: a lookup by class would load
   * the TLS classes on a proxy without identity.
   */
  public static void countBehind(Channel ch, List<String> tlsHandlerNames) {
    ch.attr(BEHIND).set(tlsHandlerNames);
  }

  /** Added first in a pipeline that terminates TLS: moves itself behind the TLS handler. */
  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    behindTls(ctx.pipeline());
  }

  /**
   * Puts a {@link ByteCounter} that sits in front of the channel's TLS handler ({@link
   * #countBehind}) behind it, taking back what it counted there (TLS records: on an inbound
   * connection whose ClientHello came late, the hello went through it before mesh TLS was set up
   * behind it). A no-op without either, or when the counter is behind already.
   */
  public static void behindTls(ChannelPipeline p) {
    List<String> tls = p.channel().attr(BEHIND).get();
    if (tls == null) {
      return;
    }
    @Nullable String counter = null;
    @Nullable String last = null;
    for (String name : p.names()) {
      if (tls.contains(name)) {
        last = name;
      } else if (last == null && p.get(name) instanceof ByteCounter) {
        counter = name;
      }
    }
    if (counter != null && last != null) {
      ByteCounter old = (ByteCounter) p.remove(counter);
      old.read.add(-old.ownRead);
      old.written.add(-old.ownWritten);
      p.addAfter(last, counter, new ByteCounter(old.read, old.written));
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf b) {
      read.add(b.readableBytes());
      ownRead += b.readableBytes();
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof ByteBuf b) {
      written.add(b.readableBytes());
      ownWritten += b.readableBytes();
    }
    ctx.write(msg, promise);
  }
}
