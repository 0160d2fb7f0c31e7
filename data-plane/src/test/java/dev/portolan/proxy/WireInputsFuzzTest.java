package dev.portolan.proxy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.portolan.proxy.detect.ProtocolClassifierFuzzTest;
import dev.portolan.proxy.transport.TransportHeaderCodecFuzzTest;
import java.util.Arrays;

/**
 * The bounded fuzzing run of {@code verify} (docs/identity.md, section "Fuzzing"): Jazzer fuzzes
 * one test per JVM, and each JVM start with its agent costs more than the fuzzing itself, so this
 * one target drives the properties of all three targets (the first byte picks which, the rest is
 * its input). The targets themselves stay separate for longer runs by hand.
 */
class WireInputsFuzzTest {
  /** With the JVM start, the whole fuzz step of verify stays under a minute on a quiet machine. */
  private static final String CI_DURATION = "20s";

  @FuzzTest(maxDuration = CI_DURATION)
  void transport_header_and_detection(byte[] data) {
    if (data.length == 0) {
      return;
    }
    byte[] rest = Arrays.copyOfRange(data, 1, data.length);
    switch (Byte.toUnsignedInt(data[0]) % 3) {
      case 0 -> TransportHeaderCodecFuzzTest.checkDecode(rest);
      case 1 -> TransportHeaderCodecFuzzTest.checkRoundTrip(rest);
      default -> ProtocolClassifierFuzzTest.check(rest);
    }
  }
}
