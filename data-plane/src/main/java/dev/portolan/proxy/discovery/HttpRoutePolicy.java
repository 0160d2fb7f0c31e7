package dev.portolan.proxy.discovery;

import dev.portolan.policy.model.Authorization;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One inbound HTTP route of a port (the wire's {@code HttpRoute}, docs/design/inbound.md): requests
 * matching one of {@code matches} are admitted by the port's authorizations and, in addition, by
 * {@code authorizations}. The control plane sends them for the kubelet's probes.
 *
 * @param name the route's name ({@code Metadata.default}, e.g. {@code probe})
 * @param matches what requests the route takes; empty takes every request
 * @param authorizations who the route admits besides the port's own authorizations
 */
public record HttpRoutePolicy(
    String name, List<Match> matches, List<Authorization> authorizations) {
  public HttpRoutePolicy {
    matches = List.copyOf(matches);
    authorizations = List.copyOf(authorizations);
  }

  /**
   * A request match of which this proxy honours the method and the path; one it cannot evaluate (a
   * regex, a header or query match) never matches, so it admits nothing it was not meant to.
   *
   * @param method the method required, null for any
   * @param exact the exact path required, or null
   * @param prefix the path prefix required (whole segments, as the Gateway API reads it), or null
   * @param evaluable false when the match has parts this proxy does not evaluate
   */
  public record Match(
      @Nullable String method, @Nullable String exact, @Nullable String prefix, boolean evaluable) {

    /** How specific the match is: an exact path over a prefix, longer prefixes first, a method. */
    int rank() {
      int path = exact != null ? 1 << 20 : prefix != null ? prefix.length() : 0;
      return path * 2 + (method != null ? 1 : 0);
    }

    boolean matches(String requestMethod, String path) {
      if (!evaluable || (method != null && !method.equals(requestMethod))) {
        return false;
      }
      if (exact != null) {
        return exact.equals(path);
      }
      if (prefix != null) {
        String p = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
        return p.isEmpty()
            || path.equals(p)
            || (path.startsWith(p) && path.charAt(p.length()) == '/');
      }
      return true;
    }
  }

  /** How specifically this route takes the request: -1 when it does not take it. */
  public int rank(String method, String path) {
    if (matches.isEmpty()) {
      return 0;
    }
    int best = -1;
    for (Match m : matches) {
      if (m.matches(method, path)) {
        best = Math.max(best, m.rank());
      }
    }
    return best;
  }
}
