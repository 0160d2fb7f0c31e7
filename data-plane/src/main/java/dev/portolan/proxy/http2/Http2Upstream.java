package dev.portolan.proxy.http2;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One HTTP/2 (prior knowledge) connection to an endpoint, carrying the streams of every client of
 * its event loop. Streams beyond the server's {@code MAX_CONCURRENT_STREAMS} wait in the
 * connection's buffering encoder rather than fail. Once the server sent GOAWAY, or the connection
 * closed or idled, it takes no new streams ({@link #retired}); the pool opens another.
 */
final class Http2Upstream extends Http2Side {
  private final IntObjectMap<Http2Exchange> streams = new IntObjectHashMap<>();
  private Runnable onRetire = () -> {};
  private boolean retired;
  // The dial of this connection, set by the pool right after creating the handler it dials with.
  @Nullable ChannelFuture connect;

  private Http2Upstream(Http2ConnectionDecoder d, Http2ConnectionEncoder e, Http2Settings s) {
    super(d, e, s);
    d.frameListener(new Frames());
    connection()
        .addListener(
            new Http2ConnectionAdapter() {
              @Override
              public void onGoAwayReceived(int lastStreamId, long errorCode, ByteBuf debugData) {
                // Before the streams it refused are closed: their retries open a new connection.
                retire();
              }

              @Override
              public void onStreamClosed(Http2Stream stream) {
                // A closed stream lets a waiting one start (StreamBufferingEncoder), which may
                // happen inside a write's completion (our reset going out): flush its head.
                flushSoon();
                Http2Exchange x = streams.remove(stream.id());
                if (x != null) {
                  x.upstreamGone(Http2Upstream.this, stream.id());
                }
              }
            });
  }

  /** A connection handler whose {@code onRetire} runs once, when it stops taking streams. */
  static Http2Upstream create(Runnable onRetire) {
    Http2Upstream h = new Builder().make();
    h.onRetire = onRetire;
    return h;
  }

  /** The dial of this connection: the pool sets it before anyone else sees the connection. */
  ChannelFuture connecting() {
    return Objects.requireNonNull(connect, "not dialled yet");
  }

  boolean usable() {
    ChannelFuture c = connecting();
    return !retired && (!c.isDone() || (c.isSuccess() && active()));
  }

  /**
   * A new stream id for {@code x}, or 0 when this connection can take no stream (the exchange then
   * dials again). Its head goes with {@link #head}.
   */
  int newStream(Http2Exchange x) {
    if (retired || !active()) {
      return 0;
    }
    int id = connection().local().incrementAndGetNextStreamId();
    if (id < 0) {
      retire(); // stream ids exhausted
      return 0;
    }
    streams.put(id, x);
    return id;
  }

  /** The request head of new stream {@code id}. */
  void head(int id, Http2Headers head, boolean end) {
    Http2Exchange x = streams.get(id);
    ChannelHandlerContext ctx = context();
    ChannelPromise p = ctx.newPromise();
    // A stream still waiting in the buffering encoder fails here (GOAWAY, connection closed)
    // without ever being closed as a stream.
    p.addListener(f -> {
      if (!f.isSuccess() && streams.remove(id) != null) {
        x.upstreamGone(this, id);
      }
    });
    encoder().writeHeaders(ctx, id, head, 0, end, p);
    flushSoon();
  }

  /** The client gave up on stream {@code id}: cancel it here. */
  void cancel(int id, long code) {
    if (streams.remove(id) != null) {
      reset(id, code);
    }
  }

  /**
   * Takes no new stream, sends GOAWAY and closes once the streams in flight are done, waiting at
   * most {@code grace} (the proxy shuts down).
   */
  void drain(Duration grace) {
    retire();
    if (connecting().isSuccess() && active()) {
      gracefulShutdownTimeoutMillis(grace.toMillis());
      context().channel().close(); // Http2ConnectionHandler#close: GOAWAY, then the wait
    }
  }

  private void retire() {
    if (!retired) {
      retired = true;
      onRetire.run();
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof IdleStateEvent) {
      retire();
      ctx.close();
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    retire();
    super.channelInactive(ctx); // closes the streams: their exchanges hear of it
  }

  /** Response frames, to the exchange of their stream. */
  private final class Frames extends StreamFrames {
    @Override
    public void onHeadersRead(
        ChannelHandlerContext ctx, int id, Http2Headers headers, int padding, boolean end) {
      Http2Exchange x = streams.get(id);
      if (x != null) {
        x.responseHeaders(headers, end);
      }
    }

    @Override
    public int onDataRead(
        ChannelHandlerContext ctx, int id, ByteBuf data, int padding, boolean end) {
      Http2Exchange x = streams.get(id);
      int bytes = data.readableBytes() + padding;
      if (x == null || !x.responseData(data, bytes, end)) {
        return bytes; // nobody to give it to: its window back at once
      }
      return 0; // given back once the client took it (Http2Side#data)
    }

    @Override
    public void onRstStreamRead(ChannelHandlerContext ctx, int id, long errorCode) {
      Http2Exchange x = streams.remove(id);
      if (x != null) {
        x.upstreamGone(Http2Upstream.this, id);
      }
    }

    @Override
    public void onPushPromiseRead(
        ChannelHandlerContext ctx, int id, int promised, Http2Headers h, int padding) {
      // Push is disabled in our SETTINGS; a server pushing anyway gets the stream refused.
      reset(promised, Http2Error.REFUSED_STREAM.code());
    }
  }

  private static final class Builder
      extends AbstractHttp2ConnectionHandlerBuilder<Http2Upstream, Builder> {
    Builder() {
      connection(newConnection(false));
      // As Http2FrameCodec: closing does not wait for open streams to finish (GOAWAY, close).
      gracefulShutdownTimeoutMillis(0);
      initialSettings(Http2Settings.defaultSettings().pushEnabled(false));
      encoderEnforceMaxConcurrentStreams(true);
    }

    Http2Upstream make() {
      return build();
    }

    @Override
    protected Http2Upstream build(
        Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings) {
      return new Http2Upstream(decoder, encoder, settings);
    }
  }
}
