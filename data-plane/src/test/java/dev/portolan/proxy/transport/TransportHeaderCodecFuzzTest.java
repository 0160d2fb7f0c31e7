package dev.portolan.proxy.transport;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.portolan.proxy.transport.TransportHeaderCodec.Result;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Jazzer fuzz tests of the transport-header codec (docs/identity.md, section "Fuzzing"). Without
 * {@code JAZZER_FUZZ} they replay the seed corpus under {@code TransportHeaderCodecFuzzTestInputs/}
 * as regression tests; with {@code JAZZER_FUZZ=1} and {@code -Dtest=<this class>#<method>} one
 * target is fuzzed for {@link #BY_HAND}. {@code verify} fuzzes them all, briefly, through {@code
 * WireInputsFuzzTest}.
 *
 * <p>Properties: decoding any bytes returns one of the declared results and never throws; a decoded
 * header lies within the bytes offered, re-encodes to bytes that decode to the same header, and is
 * not decoded from any shorter prefix; and decode(encode(h)) == h for every header the proxy can
 * send, whatever application bytes follow it.
 */
public final class TransportHeaderCodecFuzzTest {
  /** A run by hand fuzzes one target this long (verify fuzzes {@code WireInputsFuzzTest}). */
  private static final String BY_HAND = "10m";

  @FuzzTest(maxDuration = BY_HAND)
  void decode_of_any_bytes_answers_without_throwing(byte[] data) {
    checkDecode(data);
  }

  @FuzzTest(maxDuration = BY_HAND)
  void decode_of_encode_is_the_identity(byte[] data) {
    checkRoundTrip(data);
  }

  /**
   * The raw input is decoded twice: as it is, and behind the preface (so the fuzzer spends its time
   * on the length and the protobuf rather than on finding 23 fixed bytes).
   */
  public static void checkDecode(byte[] data) {
    checkDecodeOf(data);
    byte[] prefaced = new byte[TransportHeaderCodec.PREFACE.length + data.length];
    System.arraycopy(
        TransportHeaderCodec.PREFACE, 0, prefaced, 0, TransportHeaderCodec.PREFACE.length);
    System.arraycopy(data, 0, prefaced, TransportHeaderCodec.PREFACE.length, data.length);
    checkDecodeOf(prefaced);
  }

  private static void checkDecodeOf(byte[] data) {
    // Offered inside a larger array: the codec must use exactly [off, off + len).
    byte[] framed = new byte[data.length + 7];
    Arrays.fill(framed, (byte) 0x5a);
    System.arraycopy(data, 0, framed, 3, data.length);
    Result r = TransportHeaderCodec.decode(framed, 3, data.length);
    assertThat(TransportHeaderCodec.decode(data, 0, data.length)).isEqualTo(r);
    switch (r) {
      case Result.NeedMore n ->
          assertThat(data.length)
              .as("asks for more only below the cap")
              .isLessThan(
                  TransportHeaderCodec.PREFACE.length + 4 + TransportHeaderCodec.MAX_HEADER);
      case Result.Invalid inv -> assertThat(inv.reason()).isNotBlank();
      case Result.GatewayRefused g -> assertThat(g.name()).isNotEmpty();
      case Result.Decoded d -> {
        assertThat(d.consumed()).isBetween(TransportHeaderCodec.PREFACE.length + 4, data.length);
        assertThat(d.header().port()).isBetween(1, 65535);
        assertThat(d.header().name()).isEmpty();
        // The header re-encodes to a header that decodes to the same value (a protobuf may carry
        // unknown or repeated fields, so the bytes themselves need not be canonical).
        byte[] again = TransportHeaderCodec.encode(d.header());
        assertThat(TransportHeaderCodec.decode(again, 0, again.length))
            .isEqualTo(new Result.Decoded(d.header(), again.length));
        // One byte short of the header is never a header: the decoder waits for all of it.
        assertThat(TransportHeaderCodec.decode(data, 0, d.consumed() - 1))
            .isInstanceOf(Result.NeedMore.class);
      }
    }
  }

  /**
   * Builds a header from the input: two bytes of port (0 is mapped to 1), one byte choosing the
   * session protocol, then a name length and a name; the rest is application data.
   */
  public static void checkRoundTrip(byte[] data) {
    ByteBuffer in = ByteBuffer.wrap(data);
    int port = in.remaining() >= 2 ? Short.toUnsignedInt(in.getShort()) : 8080;
    port = Math.max(1, port);
    TransportHeader.@Nullable SessionProtocol sp = null;
    if (in.hasRemaining()) {
      int choice = Byte.toUnsignedInt(in.get()) % 3;
      sp = choice == 0 ? null : TransportHeader.SessionProtocol.values()[choice - 1];
    }
    int nameLen = in.hasRemaining() ? Byte.toUnsignedInt(in.get()) % 32 : 0;
    nameLen = Math.min(nameLen, in.remaining());
    byte[] nameBytes = new byte[nameLen];
    in.get(nameBytes);
    // Names are UTF-8 on the wire; a Java string that is not valid UTF-16 cannot be sent.
    String name = new String(nameBytes, StandardCharsets.UTF_8);
    byte[] app = new byte[in.remaining()];
    in.get(app);

    TransportHeader h = new TransportHeader(port, name, sp);
    byte[] header = TransportHeaderCodec.encode(h);
    byte[] all = Arrays.copyOf(header, header.length + app.length);
    System.arraycopy(app, 0, all, header.length, app.length);
    Result r = TransportHeaderCodec.decode(all, 0, all.length);
    if (name.isEmpty()) {
      assertThat(r).isEqualTo(new Result.Decoded(h, header.length));
    } else {
      assertThat(r).isEqualTo(new Result.GatewayRefused(name));
    }
  }
}
