package dev.portolan.proxy.tls;

import dev.portolan.proxy.transport.TransportHeader;
import dev.portolan.proxy.transport.TransportHeaderCodec;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A stand-in for a peer proxy's inbound side: terminates mesh TLS (client certificate required),
 * reads the transport header when it is the inbound port, and relays the plaintext to a backend on
 * loopback (the header's port, or a fixed one on an application port). Records what it saw of each
 * connection, so a test can check who connected and what the header said.
 */
final class MeshPeer implements AutoCloseable {
  /** One accepted connection: the client's verified identity, the ALPN, the header (or null). */
  record Seen(@Nullable String clientId, @Nullable String alpn, @Nullable TransportHeader header) {}

  private final EventLoopGroup group;
  private final Channel listener;
  final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
  final BlockingQueue<String> refused = new LinkedBlockingQueue<>();

  /**
   * @param transport the inbound port: ALPN {@code transport.l5d.io/v1} and a header required
   * @param appPort where plaintext goes on an application port (unused with {@code transport})
   */
  MeshPeer(EventLoopGroup group, MeshTls tls, boolean transport, int appPort) {
    this.group = group;
    this.listener =
        new ServerBootstrap()
            .group(group)
            .channel(EpollServerSocketChannel.class)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    tls.server(ch, new ServerMode(true, transport)).addFirst(ch.pipeline());
                    ch.pipeline().addLast(new Front(transport, appPort));
                  }
                })
            .bind("127.0.0.1", 0)
            .syncUninterruptibly()
            .channel();
  }

  int port() {
    return ((InetSocketAddress) listener.localAddress()).getPort();
  }

  Seen next() throws InterruptedException {
    Seen s = seen.poll(10, TimeUnit.SECONDS);
    if (s == null) {
      throw new AssertionError("no connection reached the peer within 10 s");
    }
    return s;
  }

  @Override
  public void close() {
    listener.close().syncUninterruptibly();
  }

  /** Waits for the verified handshake, reads the header if any, then relays. */
  private final class Front extends ChannelInboundHandlerAdapter {
    private final boolean transport;
    private final int appPort;
    private @Nullable MeshTlsSession session;
    private @Nullable ByteBuf acc;
    private @Nullable Channel backend;

    Front(boolean transport, int appPort) {
      this.transport = transport;
      this.appPort = appPort;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      switch (evt) {
        case MeshTlsEvent.Established e -> {
          session = e.session();
          acc = ctx.alloc().buffer();
          if (!transport) {
            open(ctx, appPort, null);
          }
        }
        case MeshTlsEvent.Refused r -> refused.add(r.refusal().label());
        default -> ctx.fireUserEventTriggered(evt);
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf in = (ByteBuf) msg;
      if (backend != null && acc == null) {
        backend.writeAndFlush(in);
        return;
      }
      ByteBuf a = java.util.Objects.requireNonNull(acc);
      a.writeBytes(in);
      in.release();
      if (backend != null || !transport) {
        return; // held until the backend is connected
      }
      byte[] bytes = ByteBufUtil.getBytes(a);
      switch (TransportHeaderCodec.decode(bytes, 0, bytes.length)) {
        case TransportHeaderCodec.Result.Decoded d -> {
          a.skipBytes(d.consumed());
          open(ctx, d.header().port(), d.header());
        }
        case TransportHeaderCodec.Result.NeedMore n -> {}
        default -> ctx.close();
      }
    }

    private void open(ChannelHandlerContext ctx, int port, @Nullable TransportHeader header) {
      MeshTlsSession s = java.util.Objects.requireNonNull(session);
      seen.add(new Seen(s.peerIdentity(), s.alpn(), header));
      Channel front = ctx.channel();
      backend =
          new Bootstrap()
              .group(front.eventLoop()) // the same loop: `acc` is touched by both sides
              .channel(EpollSocketChannel.class)
              .handler(
                  new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext b, Object msg) {
                      front.writeAndFlush(msg);
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext b) {
                      front.close();
                    }
                  })
              .connect("127.0.0.1", port)
              .addListener(f -> {
                ByteBuf held = acc;
                acc = null;
                if (!f.isSuccess()) {
                  if (held != null) {
                    held.release();
                  }
                  front.close();
                } else if (held != null) {
                  ((io.netty.channel.ChannelFuture) f).channel().writeAndFlush(held);
                }
              })
              .channel();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (backend != null) {
        backend.close();
      }
      if (acc != null) {
        acc.release();
        acc = null;
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
