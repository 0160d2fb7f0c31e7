package dev.portolan.proxy.metrics;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the raw bytes a connection reads and writes, for connections whose pipeline turns bytes
 * into messages (HTTP): sits first in the pipeline, before any codec.
 */
public final class ByteCounter extends ChannelDuplexHandler {
  private final LongAdder read;
  private final LongAdder written;

  public ByteCounter(LongAdder read, LongAdder written) {
    this.read = read;
    this.written = written;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf b) {
      read.add(b.readableBytes());
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof ByteBuf b) {
      written.add(b.readableBytes());
    }
    ctx.write(msg, promise);
  }
}
