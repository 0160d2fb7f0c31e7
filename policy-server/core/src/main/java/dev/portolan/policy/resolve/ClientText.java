package dev.portolan.policy.resolve;

/**
 * Text a client or a user supplied (a path, a context token, a workload, an annotation), made safe
 * to put in a log line or a status message: control and format characters are escaped, so a newline
 * cannot start a forged log line nor an escape sequence reach a terminal, and the text is cut, so
 * one request cannot fill the log.
 */
public final class ClientText {
  /** The longest text kept, in characters. */
  public static final int MAX = 128;

  private ClientText() {}

  /** {@code s} escaped and cut to {@link #MAX} characters, with how much was cut. */
  public static String clip(String s) {
    return clip(s, MAX);
  }

  /**
   * {@code s} escaped and cut to {@code max} characters (of the original), with how much was cut.
   */
  public static String clip(String s, int max) {
    if (s == null) {
      return "null";
    }
    int end = Math.min(s.length(), max);
    if (end < s.length() && end > 0 && Character.isHighSurrogate(s.charAt(end - 1))) {
      end--; // never split a surrogate pair
    }
    StringBuilder out = new StringBuilder(end + 16);
    for (int i = 0; i < end; i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (unsafe(c)) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    if (end < s.length()) {
      out.append("…(").append(s.length()).append(" chars)");
    }
    return out.toString();
  }

  /** Control characters (C0, DEL, C1), line and paragraph separators, bidi and other format. */
  private static boolean unsafe(char c) {
    return Character.isISOControl(c)
        || c == '\u2028'
        || c == '\u2029'
        || Character.getType(c) == Character.FORMAT;
  }
}
