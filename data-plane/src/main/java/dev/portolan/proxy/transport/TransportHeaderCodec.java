package dev.portolan.proxy.transport;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.portolan.api.transport.Header;
import dev.portolan.api.transport.SessionProtocol;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Encodes and incrementally decodes the transport header: the 23-byte preface {@code
 * "transport.l5d.io/v1\r\n\r\n"}, a big-endian u32 length N, then N bytes of protobuf {@code
 * transport.l5d.io.Header}. The decoder never buffers more than the cap and rejects a wrong preface
 * as soon as the bytes diverge.
 */
public final class TransportHeaderCodec {
  public static final byte[] PREFACE =
      "transport.l5d.io/v1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  public static final int MAX_HEADER = 64 * 1024;

  private TransportHeaderCodec() {}

  public static byte[] encode(TransportHeader h) {
    Header.Builder b = Header.newBuilder().setPort(h.port()).setName(h.name());
    if (h.sessionProtocol() != null) {
      SessionProtocol.Builder sp = SessionProtocol.newBuilder();
      switch (h.sessionProtocol()) {
        case HTTP1 -> sp.setHttp1(SessionProtocol.Http1.getDefaultInstance());
        case HTTP2 -> sp.setHttp2(SessionProtocol.Http2.getDefaultInstance());
      }
      b.setSessionProtocol(sp);
    }
    byte[] body = b.build().toByteArray();
    ByteBuffer out = ByteBuffer.allocate(PREFACE.length + 4 + body.length);
    out.put(PREFACE).putInt(body.length).put(body);
    return out.array();
  }

  /** The outcome of offering the bytes received so far. */
  public sealed interface Result {
    /** Not enough bytes yet. */
    record NeedMore() implements Result {}

    /** A complete header; {@code consumed} bytes belong to it, the rest is application data. */
    record Decoded(TransportHeader header, int consumed) implements Result {}

    /** The bytes can never become a valid header; close the connection. */
    record Invalid(String reason) implements Result {}

    /** A valid header naming a gateway target, which Portolan does not serve. */
    record GatewayRefused(String name) implements Result {}
  }

  private static final Result NEED_MORE = new Result.NeedMore();

  /** Decodes from {@code b[off, off+len)}, which holds every byte received so far. */
  public static Result decode(byte[] b, int off, int len) {
    int prefix = Math.min(len, PREFACE.length);
    if (!Arrays.equals(b, off, off + prefix, PREFACE, 0, prefix)) {
      return new Result.Invalid("not a transport header preface");
    }
    if (len < PREFACE.length + 4) {
      return NEED_MORE;
    }
    long n = ByteBuffer.wrap(b, off + PREFACE.length, 4).getInt() & 0xffffffffL;
    if (n > MAX_HEADER) {
      return new Result.Invalid("header length " + n + " exceeds " + MAX_HEADER);
    }
    int total = PREFACE.length + 4 + (int) n;
    if (len < total) {
      return NEED_MORE;
    }
    Header h;
    try {
      h = Header.parseFrom(ByteBuffer.wrap(b, off + PREFACE.length + 4, (int) n));
    } catch (InvalidProtocolBufferException e) {
      return new Result.Invalid("malformed header: " + e.getMessage());
    }
    if (h.getPort() < 1 || h.getPort() > 65535) {
      return new Result.Invalid("port " + h.getPort() + " out of range 1-65535");
    }
    if (!h.getName().isEmpty()) {
      return new Result.GatewayRefused(h.getName());
    }
    TransportHeader.@Nullable SessionProtocol sp = null;
    if (h.hasSessionProtocol()) {
      sp =
          switch (h.getSessionProtocol().getKindCase()) {
            case HTTP1 -> TransportHeader.SessionProtocol.HTTP1;
            case HTTP2 -> TransportHeader.SessionProtocol.HTTP2;
            case KIND_NOT_SET -> null;
          };
    }
    return new Result.Decoded(new TransportHeader(h.getPort(), "", sp), total);
  }
}
