package dev.portolan.policy.source.manifests;

import org.jspecify.annotations.Nullable;

/**
 * Makes text that came from the manifests directory (file names, YAML, parser messages that echo
 * it) safe to put in a log line or a status: one line, no terminal escapes, bounded length. A file
 * name holding a newline could otherwise forge a log line, and a parser message can quote
 * megabytes.
 */
final class LogText {
  /** Long enough for a path and a parser's reason; a log line stays readable. */
  static final int MAX = 300;

  private LogText() {}

  static String of(@Nullable Object value) {
    return of(value, MAX);
  }

  /**
   * Control, format (bidi overrides) and line-separator characters become {@code \n}, {@code \t} or
   * {@code \}{@code uXXXX}; a backslash is doubled so an escape cannot be faked. Text longer than
   * {@code max} characters is cut and says how much was left out.
   */
  static String of(@Nullable Object value, int max) {
    String s = String.valueOf(value);
    StringBuilder out = new StringBuilder(Math.min(s.length(), max) + 16);
    int i = 0;
    while (i < s.length() && out.length() < max) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      switch (cp) {
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (unsafe(cp)) {
            out.append("\\u").append("%04x".formatted(cp));
          } else {
            out.appendCodePoint(cp);
          }
        }
      }
    }
    if (i < s.length()) {
      out.append("…(").append(s.length() - i).append(" more chars)");
    }
    return out.toString();
  }

  private static boolean unsafe(int cp) {
    int type = Character.getType(cp);
    return Character.isISOControl(cp)
        || type == Character.FORMAT
        || type == Character.LINE_SEPARATOR
        || type == Character.PARAGRAPH_SEPARATOR
        || type == Character.SURROGATE;
  }
}
