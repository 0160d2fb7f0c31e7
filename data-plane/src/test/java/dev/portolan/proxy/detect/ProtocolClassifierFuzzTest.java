package dev.portolan.proxy.detect;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;

/**
 * Jazzer fuzz tests of protocol detection: {@link ProtocolClassifier} and the one ClientHello
 * parser {@link ClientHello} (docs/design/detection.md; how to run them: docs/identity.md, section
 * "Fuzzing"). Without {@code JAZZER_FUZZ} they replay the seed corpus under {@code
 * ProtocolClassifierFuzzTestInputs/} (HTTP/1, HTTP/2, Redis and real ClientHellos).
 *
 * <p>Properties: neither ever throws; both use only the bytes offered ({@code [off, off+len)});
 * past its cap the classifier decides by itself (never "need more") and its answer depends on the
 * first cap bytes only, however many more have arrived; the ClientHello parser asks for more only
 * below its cap.
 */
public final class ProtocolClassifierFuzzTest {
  /** A run by hand fuzzes the target this long (verify fuzzes {@code WireInputsFuzzTest}). */
  private static final String BY_HAND = "10m";

  @FuzzTest(maxDuration = BY_HAND)
  void detection_never_throws_and_stays_within_its_cap(byte[] data) {
    check(data);
  }

  public static void check(byte[] data) {
    checkClassifier(data);
    checkClientHello(data);
    // Fuzz inputs are short; the caps are 1 KiB and 16 KiB. Stretch the input past the cap of its
    // kind (its last byte repeated, then the input again) so the bytes after the cap vary too.
    byte[] stretched = stretch(data, capFor(data) + 16);
    checkClassifier(stretched);
    checkClientHello(stretched);
  }

  private static void checkClassifier(byte[] data) {
    Detection d = ProtocolClassifier.classify(data, 0, data.length);
    assertThat(ProtocolClassifier.classify(framed(data), 3, data.length))
        .as("uses only [off, off+len)")
        .isEqualTo(d);
    int cap = capFor(data);
    if (data.length >= cap) {
      assertThat(d)
          .as("decides by itself at %d bytes (cap %d)", data.length, cap)
          .isNotInstanceOf(Detection.NeedMore.class);
      assertThat(d)
          .as(
              "answer from %d bytes equals the answer from the first %d (the cap)",
              data.length, cap)
          .isEqualTo(ProtocolClassifier.classify(data, 0, cap));
    }
    if (d instanceof Detection.Tls) {
      assertThat(data[0]).isEqualTo((byte) 0x16);
    }
  }

  private static void checkClientHello(byte[] data) {
    ClientHello.Result r = ClientHello.parse(data, 0, data.length);
    assertThat(ClientHello.parse(framed(data), 3, data.length))
        .as("uses only [off, off+len)")
        .isEqualTo(r);
    switch (r) {
      case ClientHello.NeedMore n ->
          assertThat(data.length)
              .as("asks for more only below the cap")
              .isLessThan(ClientHello.CAP);
      case ClientHello.NotClientHello no -> assertThat(no.why()).isNotBlank();
      case ClientHello.Hello h -> {
        assertThat(h.alpn()).allSatisfy(p -> assertThat(p).isNotEmpty());
        assertThat(data[0]).isEqualTo((byte) 22);
      }
    }
  }

  private static int capFor(byte[] data) {
    return data.length > 0 && data[0] == 0x16
        ? ProtocolClassifier.TLS_CAP
        : ProtocolClassifier.HTTP_CAP;
  }

  private static byte[] framed(byte[] data) {
    byte[] framed = new byte[data.length + 7];
    Arrays.fill(framed, (byte) ' ');
    System.arraycopy(data, 0, framed, 3, data.length);
    return framed;
  }

  private static byte[] stretch(byte[] data, int atLeast) {
    if (data.length == 0 || data.length >= atLeast) {
      return data;
    }
    byte[] out = new byte[atLeast + data.length];
    System.arraycopy(data, 0, out, 0, data.length);
    Arrays.fill(out, data.length, atLeast, data[data.length - 1]);
    System.arraycopy(data, 0, out, atLeast, data.length);
    return out;
  }
}
