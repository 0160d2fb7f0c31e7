package dev.portolan.proxy.inbound;

import dev.portolan.policy.model.Authorization;
import dev.portolan.policy.model.IpAddress;
import java.net.InetAddress;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Whether a client may connect to an inbound port under the port's {@code Server.authorizations}
 * (docs/design/inbound.md): admitted when one authorization contains its source address and its
 * authentication is met — any client for {@code unauthenticated}, a verified mesh TLS client
 * identity matching the names or suffixes for {@code meshTLS}. An empty list admits nobody (the
 * {@code deny} policy); no list at all (the control plane never answered) admits everyone. Pure:
 * the verified identity is the caller's to find (the mesh TLS session of the connection).
 */
public final class Authorizer {
  private Authorizer() {}

  /**
   * Why the client may not connect, in words for a log line and {@code l5d-proxy-error}; null when
   * it may.
   *
   * @param identity the client's verified mesh identity, null for a plaintext client
   */
  public static @Nullable String refusal(
      @Nullable List<Authorization> authorizations,
      InetAddress source,
      @Nullable String identity,
      int port) {
    if (authorizations == null) {
      return null;
    }
    IpAddress src = IpAddress.of(source.getAddress());
    for (Authorization a : authorizations) {
      if (a.admits(src, identity)) {
        return null;
      }
    }
    String who =
        identity == null
            ? "unauthenticated client " + source.getHostAddress()
            : "client " + identity + " at " + source.getHostAddress();
    if (authorizations.isEmpty()) {
      return who + " is not authorized on port " + port + ": its policy admits no one (deny)";
    }
    return who
        + " is not authorized on port "
        + port
        + " (policy "
        + String.join(", ", authorizations.stream().map(Authorization::name).toList())
        + ")";
  }
}
