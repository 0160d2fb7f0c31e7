package dev.portolan.proxy.peers;

import dev.portolan.proxy.identity.IdentityConfig;
import dev.portolan.proxy.identity.ProxyIdentity;
import dev.portolan.proxy.tls.MeshTls;
import dev.portolan.proxy.tls.MeshTlsEvent;
import dev.portolan.proxy.transport.TransportHeader;
import dev.portolan.proxy.transport.TransportHeaderCodec;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A client of a proxy's inbound port with a real mesh certificate, run inside a test-bed pod: it
 * certifies as a ServiceAccount, does mesh TLS with ALPN {@code transport.l5d.io/v1}, sends a
 * transport header of the test's choosing and {@code PING\r\n}, and prints what came back and
 * {@code closed}. Arguments: identity service, token file, trust anchors, own identity, server
 * identity, server ip, header port, header name ("" for none).
 */
public final class MeshTransportClient {
  private MeshTransportClient() {}

  public static void main(String[] args) throws Exception {
    IdentityConfig ic =
        new IdentityConfig(
            IdentityConfig.Mode.PLAINTEXT,
            args[3],
            args[0],
            Path.of(args[1]),
            Path.of(args[2]),
            "unused-in-plaintext");
    ProxyIdentity id = ProxyIdentity.start(ic, null, null, MeshTls::serverVerifier);
    CountDownLatch certified = new CountDownLatch(1);
    id.onCertificate(c -> certified.countDown());
    if (!certified.await(30, TimeUnit.SECONDS)) {
      System.out.println("no certificate");
      System.exit(1);
    }
    MeshTls mesh = MeshTls.create(id);
    String serverId = args[4];
    byte[] header =
        TransportHeaderCodec.encode(new TransportHeader(Integer.parseInt(args[6]), args[7], null));
    CountDownLatch closed = new CountDownLatch(1);
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    Channel ch =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel c) {
                    c.pipeline()
                        .addLast(
                            new ChannelInboundHandlerAdapter() {
                              @Override
                              public void userEventTriggered(ChannelHandlerContext ctx, Object e) {
                                if (e instanceof MeshTlsEvent.Established) {
                                  System.out.println("established");
                                  ctx.writeAndFlush(
                                      Unpooled.wrappedBuffer(
                                          header, "PING\r\n".getBytes(StandardCharsets.US_ASCII)));
                                } else if (e instanceof MeshTlsEvent.Refused r) {
                                  System.out.println("tls refused " + r.refusal().label());
                                }
                              }

                              @Override
                              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ByteBuf b = (ByteBuf) msg;
                                System.out.println(
                                    "received " + b.toString(StandardCharsets.US_ASCII).strip());
                                b.release();
                                ctx.close();
                              }

                              @Override
                              public void channelInactive(ChannelHandlerContext ctx) {
                                closed.countDown();
                              }
                            });
                    mesh.client(c, serverId, 4143, true).addFirst(c.pipeline());
                  }
                })
            .connect(args[5], 4143)
            .sync()
            .channel();
    closed.await(30, TimeUnit.SECONDS);
    System.out.println("closed");
    ch.close();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    System.exit(0);
  }
}
