package dev.portolan.policy.model;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The one port-list grammar (docs/design/port-grammar.md) used by every annotation, flag and
 * proxy-init argument: comma-separated {@code N}, {@code LO-HI} or port names; whitespace trimmed
 * around tokens and around the dash; empty tokens ignored; invalid tokens dropped one by one and
 * reported, valid ones kept.
 */
public final class PortListParser {
  private PortListParser() {}

  /** Parses numbers and ranges only: any name is an invalid token. */
  public static ParsedPorts parse(String raw) {
    return parse(raw, PortNames.NONE);
  }

  public static ParsedPorts parse(String raw, PortNames names) {
    if (raw == null || raw.isBlank()) {
      return ParsedPorts.EMPTY;
    }
    List<PortRange> ranges = new ArrayList<>();
    List<InvalidToken> invalid = new ArrayList<>();
    String[] tokens = raw.split(",", -1);
    for (int i = 0; i < tokens.length; i++) {
      String token = tokens[i].strip();
      if (token.isEmpty()) {
        continue;
      }
      int position = i + 1;
      String error = parseToken(token, names, ranges);
      if (error != null) {
        invalid.add(new InvalidToken(position, token, error));
      }
    }
    return new ParsedPorts(PortSet.of(ranges), invalid);
  }

  /** Adds the token's ports to {@code out}; returns an error message or null. */
  private static @Nullable String parseToken(String token, PortNames names, List<PortRange> out) {
    char first = token.charAt(0);
    if (isDigit(first)) {
      int dash = token.indexOf('-');
      if (dash < 0) {
        return parseSingle(token, out);
      }
      String loText = token.substring(0, dash).strip();
      String hiText = token.substring(dash + 1).strip();
      if (hiText.indexOf('-') >= 0) {
        return "a range has exactly one '-'";
      }
      Object lo = parsePort(loText);
      if (lo instanceof String err) {
        return "range start " + err;
      }
      Object hi = parsePort(hiText);
      if (hi instanceof String err) {
        return "range end " + err;
      }
      int l = (Integer) lo;
      int h = (Integer) hi;
      if (l > h) {
        return "range start " + l + " is greater than range end " + h;
      }
      out.add(new PortRange(l, h));
      return null;
    }
    if (first == '-' || first == '+') {
      return "a port is a plain number from 1 to 65535 (no sign)";
    }
    if (!isName(token)) {
      return "not a port number, range or port name";
    }
    PortSet named = names.resolve(token);
    if (named.isEmpty()) {
      return "unknown port name";
    }
    out.addAll(named.ranges());
    return null;
  }

  private static @Nullable String parseSingle(String token, List<PortRange> out) {
    Object port = parsePort(token);
    if (port instanceof String err) {
      return err;
    }
    out.add(PortRange.of((Integer) port));
    return null;
  }

  /** Returns an Integer port or a String error. */
  private static Object parsePort(String text) {
    if (text.isEmpty()) {
      return "is missing";
    }
    for (int i = 0; i < text.length(); i++) {
      if (!isDigit(text.charAt(i))) {
        return "'" + text + "' is not a number";
      }
    }
    if (text.length() > 5) {
      return text + " is out of range 1-65535";
    }
    int value = Integer.parseInt(text);
    if (value < PortRange.MIN_PORT || value > PortRange.MAX_PORT) {
      return value + " is out of range 1-65535";
    }
    return value;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /** IANA_SVC_NAME-like: letters, digits and '-', at least one letter, no leading/trailing '-'. */
  private static boolean isName(String token) {
    if (token.length() > 63 || token.startsWith("-") || token.endsWith("-")) {
      return false;
    }
    boolean letter = false;
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (Character.isLetter(c) && c < 128) {
        letter = true;
      } else if (!isDigit(c) && c != '-') {
        return false;
      }
    }
    return letter;
  }
}
