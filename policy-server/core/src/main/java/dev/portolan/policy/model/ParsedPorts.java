package dev.portolan.policy.model;

import java.util.List;

/** The result of parsing a port list: the valid ports, and every token that was dropped. */
public record ParsedPorts(PortSet ports, List<InvalidToken> invalid) {
  public static final ParsedPorts EMPTY = new ParsedPorts(PortSet.EMPTY, List.of());

  public ParsedPorts {
    invalid = List.copyOf(invalid);
  }

  public boolean hasErrors() {
    return !invalid.isEmpty();
  }
}
