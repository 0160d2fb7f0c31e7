package dev.portolan.proxy.grpc;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import org.jspecify.annotations.Nullable;

/** The server's frames, handed to the call of their stream. Event loop only. */
final class Frames extends Http2FrameAdapter {
  /** The connection's side of the frames. */
  interface Streams {
    @Nullable GrpcCall<?> stream(int id);

    void pingAnswered();

    void goAway();
  }

  private final Streams streams;

  Frames(Streams streams) {
    this.streams = streams;
  }

  @Override
  public void onHeadersRead(
      ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding, boolean end) {
    GrpcCall<?> call = streams.stream(streamId);
    if (call != null) {
      call.onHeaders(headers, end);
    }
  }

  @Override
  public void onHeadersRead(
      ChannelHandlerContext ctx,
      int streamId,
      Http2Headers headers,
      int streamDependency,
      short weight,
      boolean exclusive,
      int padding,
      boolean end) {
    onHeadersRead(ctx, streamId, headers, padding, end);
  }

  @Override
  public int onDataRead(
      ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean end) {
    int consumed = data.readableBytes() + padding; // delivered at once: the window reopens
    GrpcCall<?> call = streams.stream(streamId);
    if (call != null) {
      call.onData(data, end);
    }
    return consumed;
  }

  @Override
  public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
    GrpcCall<?> call = streams.stream(streamId);
    if (call != null) {
      call.onReset(Http2Error.valueOf(errorCode), errorCode);
    }
  }

  @Override
  public void onPingAckRead(ChannelHandlerContext ctx, long data) {
    streams.pingAnswered();
  }

  @Override
  public void onGoAwayRead(
      ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {
    streams.goAway();
  }
}
