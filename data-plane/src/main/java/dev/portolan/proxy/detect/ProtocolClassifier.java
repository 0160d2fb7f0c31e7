package dev.portolan.proxy.detect;

import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Classifies a connection by its first bytes (docs/design/detection.md). Pure: a function of the
 * bytes received so far, no I/O. Callers keep reading while it answers {@link Detection.NeedMore}
 * and fall back to TCP at their deadline; past the caps it decides by itself.
 */
public final class ProtocolClassifier {
  /** Give up on HTTP after this many bytes without a decision. */
  public static final int HTTP_CAP = 1024;

  /** Give up waiting for a whole ClientHello after this many bytes. */
  public static final int TLS_CAP = 16 * 1024;

  static final byte[] H2_PREFACE = "PRI * HTTP/2.0".getBytes(StandardCharsets.US_ASCII);
  private static final int DECIDE_HTTP1_AT = 14;
  private static final int MAX_METHOD = 24;

  private ProtocolClassifier() {}

  public static Detection classify(byte[] bytes) {
    return classify(bytes, 0, bytes.length);
  }

  public static Detection classify(byte[] b, int off, int len) {
    if (len <= 0) {
      return Detection.NEED_MORE;
    }
    // Only the first cap bytes count: the answer must not depend on how the bytes were chunked
    // into reads, and a caller that offers everything it has buffered gets the same answer as one
    // that stopped at the cap (found by ProtocolClassifierFuzzTest: a request line that was still
    // valid at 1 KiB turned into TCP when a control byte arrived after it in the same read).
    if (b[off] == 0x16) {
      return tls(b, off, Math.min(len, TLS_CAP));
    }
    int n = Math.min(len, HTTP_CAP);
    Detection h2 = http2(b, off, n);
    if (h2 != null) {
      return h2;
    }
    return http1(b, off, n);
  }

  /** Null when the bytes are not a prefix of the HTTP/2 preface. */
  private static @Nullable Detection http2(byte[] b, int off, int len) {
    int n = Math.min(len, H2_PREFACE.length);
    for (int i = 0; i < n; i++) {
      if (b[off + i] != H2_PREFACE[i]) {
        return null;
      }
    }
    return len >= H2_PREFACE.length ? Detection.HTTP2 : Detection.NEED_MORE;
  }

  private static Detection http1(byte[] b, int off, int len) {
    int i = 0;
    // Method: one or more token characters, then a single space.
    while (i < len && b[off + i] != ' ') {
      if (!isTchar(b[off + i]) || i >= MAX_METHOD) {
        return Detection.TCP;
      }
      i++;
    }
    if (i == len) {
      return len > MAX_METHOD ? Detection.TCP : Detection.NEED_MORE;
    }
    if (i == 0) {
      return Detection.TCP;
    }
    i++; // the space
    int targetStart = i;
    while (i < len && b[off + i] != ' ') {
      int c = b[off + i] & 0xff;
      if (c <= 0x20 || c == 0x7f) {
        return Detection.TCP;
      }
      i++;
    }
    if (i == len) {
      return undecided(len, i > targetStart);
    }
    if (i == targetStart) {
      return Detection.TCP; // two spaces
    }
    i++; // the space before the version
    byte[] version = {'H', 'T', 'T', 'P', '/', '1', '.'};
    for (byte v : version) {
      if (i == len) {
        return undecided(len, true);
      }
      if (b[off + i] != v) {
        return Detection.TCP;
      }
      i++;
    }
    if (i == len) {
      return undecided(len, true);
    }
    byte minor = b[off + i];
    if (minor != '0' && minor != '1') {
      return Detection.TCP;
    }
    i++;
    if (i == len) {
      return Detection.HTTP1;
    }
    byte end = b[off + i];
    return end == '\r' || end == '\n' ? Detection.HTTP1 : Detection.TCP;
  }

  /** A valid prefix: decide HTTP/1 once long enough and a target has begun, else read more. */
  private static Detection undecided(int len, boolean targetStarted) {
    if (targetStarted && len >= DECIDE_HTTP1_AT) {
      return Detection.HTTP1;
    }
    return len >= HTTP_CAP ? Detection.TCP : Detection.NEED_MORE;
  }

  private static Detection tls(byte[] b, int off, int len) {
    if (len >= 2 && b[off + 1] != 0x03) {
      return Detection.TCP;
    }
    if (len >= 3 && (b[off + 2] < 0x01 || b[off + 2] > 0x03)) {
      return Detection.TCP;
    }
    if (len >= 6 && b[off + 5] != 0x01) {
      return Detection.TCP;
    }
    if (len < 6) {
      return Detection.NEED_MORE;
    }
    int recordLen = ((b[off + 3] & 0xff) << 8) | (b[off + 4] & 0xff);
    if (5 + recordLen > len) {
      return len >= TLS_CAP ? new Detection.Tls(null) : Detection.NEED_MORE;
    }
    // A handshake record that is whole: the one parser reads its SNI (null when it has none or is
    // malformed; the bytes are relayed as TLS either way).
    return new Detection.Tls(
        ClientHello.parse(b, off, 5 + recordLen) instanceof ClientHello.Hello h
            ? h.serverName()
            : null);
  }

  /** RFC 9110 tchar. */
  private static boolean isTchar(byte c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      return true;
    }
    return "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
  }
}
