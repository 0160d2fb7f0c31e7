package dev.portolan.policy.model;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The grammar of a Server's {@code config.portolan.io/detect-timeout} annotation
 * (docs/design/sources-and-precedence.md, <i>Detect timeout</i>): a positive whole number with the
 * unit {@code ms}, {@code s} or {@code m}, from 1ms to 1h. Written like the proxy's own duration
 * settings ({@code 100ms}, {@code 10s}); no fractions or compound values, so a value reads the same
 * to every tool.
 */
public final class DetectTimeout {
  public static final Duration MIN = Duration.ofMillis(1);
  public static final Duration MAX = Duration.ofHours(1);

  private static final Pattern FORM = Pattern.compile("([0-9]{1,10})(ms|s|m)");

  private DetectTimeout() {}

  /**
   * The duration {@code raw} names (surrounding whitespace ignored).
   *
   * @throws IllegalArgumentException with the reason in words a user can act on
   */
  public static Duration parse(String raw) {
    String s = raw.strip();
    Matcher m = FORM.matcher(s);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "not a duration: write a whole number with unit ms, s or m (e.g. 500ms, 2s)");
    }
    long n = Long.parseLong(m.group(1));
    Duration d =
        switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          default -> Duration.ofMinutes(n);
        };
    if (d.compareTo(MIN) < 0 || d.compareTo(MAX) > 0) {
      throw new IllegalArgumentException("out of range: a detect timeout is from 1ms to 1h");
    }
    return d;
  }

  /** The report for a value {@code parse} refuses, as one token. */
  public static InvalidToken invalid(String raw, String reason) {
    return new InvalidToken(1, raw.strip(), reason);
  }
}
