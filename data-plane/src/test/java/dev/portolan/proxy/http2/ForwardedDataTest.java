package dev.portolan.proxy.http2;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A forwarded DATA frame against a real peer's window: two HTTP/2 sides in embedded channels, the
 * client with a stream window of 10 bytes. The server forwards 25 bytes on the client's stream as
 * the proxy does, with the 30 bytes it read on that stream as the window to give back.
 */
class ForwardedDataTest {
  private static final int WINDOW = 10;

  private final ByteArrayOutputStream received = new ByteArrayOutputStream();
  private Side client;
  private Side server;
  private EmbeddedChannel clientCh;
  private EmbeddedChannel serverCh;

  @BeforeEach
  void openStreamWithThirtyUnconsumedBytes() {
    client =
        new Builder(
                false,
                Http2Settings.defaultSettings().initialWindowSize(WINDOW),
                new Http2FrameAdapter() {
                  @Override
                  public int onDataRead(
                      ChannelHandlerContext ctx, int id, ByteBuf data, int padding, boolean end) {
                    received.writeBytes(ByteBufUtil.getBytes(data));
                    return data.readableBytes()
                        + padding; // consumed at once: its window comes back
                  }
                })
            .make();
    server =
        new Builder(
                true,
                Http2Settings.defaultSettings(),
                new Http2FrameAdapter() {
                  @Override
                  public int onDataRead(
                      ChannelHandlerContext ctx, int id, ByteBuf data, int padding, boolean end) {
                    return 0; // given back by the forwarded frame, as the proxy does
                  }
                })
            .make();
    clientCh = new EmbeddedChannel(client);
    serverCh = new EmbeddedChannel(server);
    client.headers(1, new DefaultHttp2Headers().method("POST").path("/").scheme("http"), false);
    client.data(1, Unpooled.wrappedBuffer(new byte[30]), false, client, 0, 0);
    pump();
    assertThat(unconsumed()).isEqualTo(30);
  }

  @AfterEach
  void close() {
    clientCh.finishAndReleaseAll();
    serverCh.finishAndReleaseAll();
  }

  @Test
  void aFrameLargerThanTheWindowGoesOutInPartsAndGivesItsWindowBackWithTheLast() {
    ByteBuf data = Unpooled.wrappedBuffer(bytes(25));
    server.data(1, data, false, server, 1, 30);
    pump();
    // The first 10 bytes went out, the window came back, the next 10, and so on: all 25 in order.
    assertThat(received.toByteArray()).isEqualTo(bytes(25));
    assertThat(data.refCnt()).isZero();
    assertThat(unconsumed()).isZero();
  }

  @Test
  void theWindowComesBackOnlyOnceTheLastPartWasWritten() {
    server.data(1, Unpooled.wrappedBuffer(bytes(25)), false, server, 1, 30);
    serverCh.runPendingTasks(); // the flush: one part of 10 bytes, then the window is used up
    clientCh.writeInbound(drain(serverCh));
    assertThat(received.size()).isEqualTo(WINDOW);
    assertThat(unconsumed()).isEqualTo(30);
  }

  @Test
  void aFrameStillWaitingForWindowWhenTheConnectionClosesIsReleased() {
    ByteBuf data = Unpooled.wrappedBuffer(bytes(25));
    server.data(1, data, false, server, 1, 30);
    serverCh.runPendingTasks(); // 10 bytes out, 15 waiting
    drain(serverCh).release(); // the part written (a slice of it) left
    assertThat(data.refCnt()).isOne();
    serverCh.close();
    assertThat(data.refCnt()).isZero();
  }

  @Test
  void theEndOfTheStreamClosesItsLocalSideOnceWritten() {
    server.data(1, Unpooled.wrappedBuffer(bytes(5)), true, server, 1, 30);
    pump();
    assertThat(received.toByteArray()).isEqualTo(bytes(5));
    Http2Stream s = server.connection().stream(1);
    assertThat(s == null || s.state() == Http2Stream.State.HALF_CLOSED_LOCAL).isTrue();
  }

  private int unconsumed() {
    Http2Stream s = server.connection().stream(1);
    return s == null ? -1 : server.decoder().flowController().unconsumedBytes(s);
  }

  /** Moves frames both ways until neither side has anything more to say. */
  private void pump() {
    for (int i = 0; i < 50; i++) {
      clientCh.runPendingTasks();
      serverCh.runPendingTasks();
      ByteBuf toServer = drain(clientCh);
      ByteBuf toClient = drain(serverCh);
      if (toServer.readableBytes() == 0 && toClient.readableBytes() == 0) {
        toServer.release();
        toClient.release();
        return;
      }
      serverCh.writeInbound(toServer);
      clientCh.writeInbound(toClient);
    }
    throw new AssertionError("the two sides never went quiet");
  }

  private static ByteBuf drain(EmbeddedChannel ch) {
    ByteBuf all = Unpooled.buffer();
    for (Object o; (o = ch.readOutbound()) != null; ) {
      ByteBuf b = (ByteBuf) o;
      all.writeBytes(b);
      b.release();
    }
    return all;
  }

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) ('a' + i);
    }
    return b;
  }

  private static final class Side extends Http2Side {
    Side(Http2ConnectionDecoder d, Http2ConnectionEncoder e, Http2Settings s) {
      super(d, e, s);
    }
  }

  private static final class Builder extends AbstractHttp2ConnectionHandlerBuilder<Side, Builder> {
    Builder(boolean server, Http2Settings settings, Http2FrameAdapter frames) {
      connection(Http2Side.newConnection(server));
      initialSettings(settings);
      frameListener(frames);
      gracefulShutdownTimeoutMillis(0); // as the proxy's sides: closing closes
    }

    Side make() {
      return build();
    }

    @Override
    protected Side build(Http2ConnectionDecoder d, Http2ConnectionEncoder e, Http2Settings s) {
      return new Side(d, e, s);
    }
  }
}
