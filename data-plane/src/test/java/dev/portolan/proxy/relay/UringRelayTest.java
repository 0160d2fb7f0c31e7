package dev.portolan.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.proxy.net.IoTransport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.uring.IoUring;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The io_uring relay between real loopback sockets: a plain client socket, a Netty listener that
 * joins each accepted connection to an upstream with {@link UringRelay}, and a plain server socket
 * as the upstream.
 */
@Timeout(30)
class UringRelayTest {
  private EventLoopGroup loop;
  ServerSocket upstream;
  private Channel listener;
  private final LongAdder toUpstream = new LongAdder();
  private final LongAdder toClient = new LongAdder();
  private final CompletableFuture<Channel[]> pair = new CompletableFuture<>();
  private Duration idleTimeout = Duration.ofMinutes(1);

  @BeforeEach
  void start() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        ioTransport() != IoTransport.IO_URING || IoUring.isAvailable(),
        "io_uring is not available here (CI has it)");
    loop = new MultiThreadIoEventLoopGroup(1, ioTransport().handlers());
    upstream = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    listener =
        new ServerBootstrap()
            .group(loop)
            .channel(ioTransport().serverChannel())
            .childOption(ChannelOption.AUTO_READ, false)
            .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new Joiner());
                  }
                })
            .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .sync()
            .channel();
  }

  /** Joins an accepted connection to a new connection to the upstream, one per connection. */
  private final class Joiner extends ChannelInboundHandlerAdapter {
    // As in ProxyConnection: bytes Netty reads before the relay starts (it reads
    // when the client half-closes) are kept and written first.
    private ByteBuf early;

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      Channel client = ctx.channel();
      IoTransport.dial(client.eventLoop(), Duration.ofSeconds(2))
          .option(ChannelOption.AUTO_READ, false)
          .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
          .connect(
              (InetSocketAddress) upstream.getLocalSocketAddress(),
              up -> up.pipeline().addLast(new ChannelInboundHandlerAdapter()))
          .addListener(
              (ChannelFutureListener)
                  f -> {
                    Channel up = f.channel();
                    pair.complete(new Channel[] {client, up});
                    ctx.pipeline().remove(this);
                    if (early != null) {
                      toUpstream.add(early.readableBytes());
                      up.writeAndFlush(early)
                          .addListener(w -> join(client, up, toUpstream, toClient, idleTimeout));
                    } else {
                      join(client, up, toUpstream, toClient, idleTimeout);
                    }
                  });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf in = (ByteBuf) msg;
      if (early == null) {
        early = ctx.alloc().buffer();
      }
      early.writeBytes(in);
      in.release();
    }
  }

  /** The transport of the loop. */
  IoTransport ioTransport() {
    return IoTransport.IO_URING;
  }

  /** The relay under test. */
  void join(Channel a, Channel b, LongAdder aToB, LongAdder bToA, Duration idleTimeout) {
    UringRelay.join(a, b, aToB, bToA, idleTimeout);
  }

  @AfterEach
  void stop() throws Exception {
    if (loop != null) {
      if (pair.isDone()) {
        // Every test ends its connection: the relay closes the pair once its last operation
        // completed, which is also when it gives its buffers back. A loop shut down before that
        // never delivers those completions, and the leak check would report the buffers.
        awaitClosed(pair.get());
      }
      listener.close().sync();
      upstream.close();
      loop.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
    }
  }

  /** The listener's address (loopback). */
  SocketAddress listenerAddress() {
    return listener.localAddress();
  }

  Socket connect() throws IOException {
    return new Socket(
        InetAddress.getLoopbackAddress(), ((InetSocketAddress) listener.localAddress()).getPort());
  }

  @Test
  void a_megabyte_each_way_arrives_whole_and_is_counted() throws Exception {
    byte[] up = new byte[1 << 20];
    byte[] down = new byte[(1 << 20) + 17];
    new Random(1).nextBytes(up);
    new Random(2).nextBytes(down);
    try (Socket client = connect();
        Socket server = upstream.accept()) {
      // Both directions at once: each side writes on its own thread while the other reads.
      CompletableFuture<Void> clientWrites = CompletableFuture.runAsync(() -> write(client, up));
      CompletableFuture<Void> serverWrites = CompletableFuture.runAsync(() -> write(server, down));
      assertThat(server.getInputStream().readNBytes(up.length)).isEqualTo(up);
      assertThat(client.getInputStream().readNBytes(down.length)).isEqualTo(down);
      clientWrites.join();
      serverWrites.join();
    }
    assertThat(toUpstream.sum()).isEqualTo(up.length);
    assertThat(toClient.sum()).isEqualTo(down.length);
  }

  @Test
  void a_thousand_small_round_trips_each_get_their_answer() throws Exception {
    try (Socket client = connect();
        Socket server = upstream.accept()) {
      client.setTcpNoDelay(true);
      server.setTcpNoDelay(true);
      for (int i = 0; i < 1000; i++) {
        byte[] ask = ("ask " + i + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] answer = ("answer " + i + "\n").getBytes(StandardCharsets.US_ASCII);
        client.getOutputStream().write(ask);
        assertThat(server.getInputStream().readNBytes(ask.length)).isEqualTo(ask);
        server.getOutputStream().write(answer);
        assertThat(client.getInputStream().readNBytes(answer.length)).isEqualTo(answer);
      }
    }
  }

  @Test
  void a_half_close_is_passed_on_and_the_answer_still_comes_back() throws Exception {
    try (Socket client = connect();
        Socket server = upstream.accept()) {
      client.getOutputStream().write("question".getBytes(StandardCharsets.US_ASCII));
      client.shutdownOutput();
      // The server sees the bytes, then end of stream: the FIN was passed on.
      assertThat(readAll(server.getInputStream())).isEqualTo("question");
      server.getOutputStream().write("answer".getBytes(StandardCharsets.US_ASCII));
      server.shutdownOutput();
      assertThat(readAll(client.getInputStream())).isEqualTo("answer");
    }
    Channel[] channels = pair.get(5, TimeUnit.SECONDS);
    // Both directions ended: the pair is closed, both channels with it.
    awaitClosed(channels);
  }

  @Test
  void an_upstream_that_goes_away_closes_the_client() throws Exception {
    try (Socket client = connect()) {
      Socket server = upstream.accept();
      server.setSoLinger(true, 0); // close with a reset
      server.close();
      assertThat(client.getInputStream().read()).isEqualTo(-1);
    }
    Channel[] channels = pair.get(5, TimeUnit.SECONDS);
    awaitClosed(channels);
  }

  @Test
  void an_idle_pair_is_closed_after_the_idle_timeout() throws Exception {
    idleTimeout = Duration.ofMillis(200);
    try (Socket client = connect();
        Socket server = upstream.accept()) {
      client.getOutputStream().write(1);
      assertThat(server.getInputStream().read()).isEqualTo(1);
      // Nothing more: within 1–1.25 times the timeout the relay closes both sides.
      Channel[] channels = pair.get(5, TimeUnit.SECONDS);
      awaitClosed(channels);
      assertThat(client.getInputStream().read()).isEqualTo(-1);
      assertThat(server.getInputStream().read()).isEqualTo(-1);
    }
  }

  /** Both channels of the pair closed (the relay closes the pair as one). */
  private static void awaitClosed(Channel[] pair) {
    await().atMost(Duration.ofSeconds(5)).until(() -> !pair[0].isOpen() && !pair[1].isOpen());
  }

  private static void write(Socket s, byte[] bytes) {
    try {
      s.getOutputStream().write(bytes);
      s.getOutputStream().flush();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    in.transferTo(out);
    return out.toString(StandardCharsets.US_ASCII);
  }
}
