package dev.portolan.proxy.tls;

import dev.portolan.proxy.detect.ClientHello;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

/**
 * {@link ClientHello}, the proxy's one ClientHello parser, over a Netty buffer: the inbound side
 * peeks with it at a connection's first bytes to decide whether they ask for our mesh TLS
 * (docs/design/inbound.md).
 */
public final class ClientHelloPeek {
  private ClientHelloPeek() {}

  /** Peeks at the readable bytes of {@code buf} (at most {@link ClientHello#CAP}); indices kept. */
  public static ClientHello.Result peek(ByteBuf buf) {
    int n = Math.min(buf.readableBytes(), ClientHello.CAP);
    if (buf.hasArray()) {
      return ClientHello.parse(buf.array(), buf.arrayOffset() + buf.readerIndex(), n);
    }
    return ClientHello.parse(ByteBufUtil.getBytes(buf, buf.readerIndex(), n, false), 0, n);
  }

  public static ClientHello.Result peek(byte[] b, int off, int len) {
    return ClientHello.parse(b, off, len);
  }
}
