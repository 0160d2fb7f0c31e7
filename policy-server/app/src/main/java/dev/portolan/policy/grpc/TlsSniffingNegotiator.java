package dev.portolan.policy.grpc;

import io.grpc.netty.shaded.io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiators;
import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code portolan.grpc.tls=optional}: TLS and plaintext on one port. The first byte a client sends
 * decides: 0x16 (a TLS handshake record, the ClientHello) goes to grpc-java's TLS negotiation,
 * anything else (the HTTP/2 preface starts with 'P') to its plaintext one. Until that byte arrives
 * the negotiation events grpc-java fires are held, then replayed to the chosen handler.
 */
final class TlsSniffingNegotiator implements InternalProtocolNegotiator.ProtocolNegotiator {
  private static final byte HANDSHAKE = 0x16;
  private final InternalProtocolNegotiator.ProtocolNegotiator tls;
  private final InternalProtocolNegotiator.ProtocolNegotiator plaintext =
      InternalProtocolNegotiators.serverPlaintext();

  TlsSniffingNegotiator(io.grpc.netty.shaded.io.netty.handler.ssl.SslContext ssl) {
    this.tls = InternalProtocolNegotiators.serverTls(ssl);
  }

  @Override
  public AsciiString scheme() {
    return plaintext.scheme();
  }

  @Override
  public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
    return new Sniffer(grpcHandler);
  }

  @Override
  public void close() {
    tls.close();
    plaintext.close();
  }

  private final class Sniffer extends ChannelInboundHandlerAdapter {
    private final GrpcHttp2ConnectionHandler grpcHandler;
    private final List<Object> held = new ArrayList<>();

    Sniffer(GrpcHttp2ConnectionHandler grpcHandler) {
      this.grpcHandler = grpcHandler;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      held.add(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof ByteBuf b) || !b.isReadable()) {
        ctx.fireChannelRead(msg);
        return;
      }
      boolean isTls = b.getByte(b.readerIndex()) == HANDSHAKE;
      ChannelHandler next = (isTls ? tls : plaintext).newHandler(grpcHandler);
      ctx.pipeline().addAfter(ctx.name(), null, next);
      for (Object evt : held) {
        ctx.fireUserEventTriggered(evt);
      }
      held.clear();
      ctx.pipeline().remove(this);
      ctx.fireChannelRead(msg);
    }
  }
}
