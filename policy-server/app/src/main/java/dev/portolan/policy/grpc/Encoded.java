package dev.portolan.policy.grpc;

import com.google.protobuf.MessageLite;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;

/**
 * A response message with its bytes, encoded once and written as they are by every stream that
 * sends it. A change that reaches a thousand Get streams of one destination (and class) sends one
 * shared message each; gRPC's own marshaller would encode it a thousand times, and on two cores
 * that encoding was the largest cost of the stream drains (docs/benchmarks.md, networkpolicy-edit).
 *
 * @param <M> the message type
 */
final class Encoded<M extends MessageLite> {
  private final M message;
  private final byte[] bytes;

  /** Encodes {@code message} now. */
  Encoded(M message) {
    this.message = message;
    this.bytes = message.toByteArray();
  }

  M message() {
    return message;
  }

  int size() {
    return bytes.length;
  }

  /**
   * The marshaller of a method whose responses are {@link Encoded}: writes the bytes as they are;
   * parses (for in-process clients and tests) with {@code messages}, encoding the result again.
   */
  static <M extends MessageLite> MethodDescriptor.Marshaller<Encoded<M>> marshaller(
      MethodDescriptor.Marshaller<M> messages) {
    return new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(Encoded<M> value) {
        return new Bytes(value.bytes);
      }

      @Override
      public Encoded<M> parse(InputStream stream) {
        return new Encoded<>(messages.parse(stream));
      }
    };
  }

  @Override
  public String toString() {
    return Objects.toString(message);
  }

  /**
   * The bytes as a stream gRPC's framer can size ({@link KnownLength}) and copy in one write
   * ({@link Drainable}), without the copy through a buffer a plain stream would take.
   */
  private static final class Bytes extends InputStream implements KnownLength, Drainable {
    private final byte[] bytes;
    private int at;

    Bytes(byte[] bytes) {
      this.bytes = bytes;
    }

    @Override
    public int drainTo(OutputStream target) throws java.io.IOException {
      int n = bytes.length - at;
      target.write(bytes, at, n);
      at = bytes.length;
      return n;
    }

    @Override
    public int available() {
      return bytes.length - at;
    }

    @Override
    public int read() {
      return at < bytes.length ? bytes[at++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      Objects.checkFromIndexSize(off, len, b.length);
      if (len == 0) {
        return 0;
      }
      if (at >= bytes.length) {
        return -1;
      }
      int n = Math.min(len, bytes.length - at);
      System.arraycopy(bytes, at, b, off, n);
      at += n;
      return n;
    }
  }
}
