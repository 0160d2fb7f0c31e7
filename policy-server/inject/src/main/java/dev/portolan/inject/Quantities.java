package dev.portolan.inject;

import java.math.BigDecimal;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kubernetes resource quantities ({@code 100m}, {@code 128Mi}, {@code 1.5}, {@code 2e3}): checked
 * here, because a value the API server cannot parse would make it refuse the Pod, and the injector
 * never makes a Pod creation fail.
 */
final class Quantities {
  private Quantities() {}

  // The API server's grammar: a signed decimal number, then one suffix (binary SI, decimal SI or
  // a decimal exponent), or none.
  private static final Pattern QUANTITY =
      Pattern.compile(
          "([+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]{1,2})?");

  /** Why the value is not a usable quantity, or empty when it is one. */
  static Optional<String> problem(String value) {
    Matcher m = QUANTITY.matcher(value.strip());
    if (!m.matches()) {
      return Optional.of("is not a Kubernetes quantity (e.g. 100m, 0.5, 128Mi, 1Gi)");
    }
    if (value.strip().startsWith("-")) {
      return Optional.of("is negative");
    }
    return Optional.empty();
  }

  /** The value as a plain number (cores, bytes), for comparing a request with a limit. */
  static BigDecimal amount(String value) {
    Matcher m = QUANTITY.matcher(value.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + value + "' is not a quantity");
    }
    BigDecimal n =
        new BigDecimal(m.group(1).startsWith("+") ? m.group(1).substring(1) : m.group(1));
    String s = m.group(2);
    if (s == null) {
      return n;
    }
    return switch (s) {
      case "Ki" -> n.multiply(BigDecimal.valueOf(1L << 10));
      case "Mi" -> n.multiply(BigDecimal.valueOf(1L << 20));
      case "Gi" -> n.multiply(BigDecimal.valueOf(1L << 30));
      case "Ti" -> n.multiply(BigDecimal.valueOf(1L << 40));
      case "Pi" -> n.multiply(BigDecimal.valueOf(1L << 50));
      case "Ei" -> n.multiply(BigDecimal.valueOf(1L << 60));
      case "n" -> n.scaleByPowerOfTen(-9);
      case "u" -> n.scaleByPowerOfTen(-6);
      case "m" -> n.scaleByPowerOfTen(-3);
      case "k" -> n.scaleByPowerOfTen(3);
      case "M" -> n.scaleByPowerOfTen(6);
      case "G" -> n.scaleByPowerOfTen(9);
      case "T" -> n.scaleByPowerOfTen(12);
      case "P" -> n.scaleByPowerOfTen(15);
      case "E" -> n.scaleByPowerOfTen(18);
      default -> n.scaleByPowerOfTen(Integer.parseInt(s.substring(1)));
    };
  }
}
