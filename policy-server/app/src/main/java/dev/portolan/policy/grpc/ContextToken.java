package dev.portolan.policy.grpc;

import dev.portolan.policy.resolve.ClientContext;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Parses the Destination context token: JSON {@code {"ns":…,"nodeName":…,"pod":…}} (a trailing
 * newline is fine) or the legacy {@code ns:<name>}. Anything else is an unknown client.
 */
final class ContextToken {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** The client, or null when the token is present but cannot be read. */
  static @Nullable ClientContext parse(String token) {
    if (token == null || token.isBlank()) {
      return ClientContext.UNKNOWN;
    }
    String t = token.strip();
    if (t.startsWith("{")) {
      try {
        JsonNode n = JSON.readTree(t);
        if (!n.isObject() || !n.path("ns").isString()) {
          return null;
        }
        return new ClientContext(
            n.path("ns").asString(""), n.path("nodeName").asString(""), n.path("pod").asString(""));
      } catch (RuntimeException e) {
        return null;
      }
    }
    if (t.startsWith("ns:") && t.length() > 3) {
      return new ClientContext(t.substring(3), "", "");
    }
    return null;
  }

  private ContextToken() {}
}
