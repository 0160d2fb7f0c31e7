package dev.portolan.policy.resolve;

import dev.portolan.policy.model.Annotations;
import dev.portolan.policy.model.DetectTimeout;
import dev.portolan.policy.model.InvalidToken;
import dev.portolan.policy.model.Protocol;
import dev.portolan.policy.model.ServerInfo;
import dev.portolan.policy.model.TokenReport;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A Server's {@code config.portolan.io/detect-timeout} (docs/design/sources-and-precedence.md,
 * <i>Detect timeout</i>). It sets the Detect timeout of the ports the Server selects when the
 * Server leaves the protocol to detection (proxyProtocol unknown or absent). On a Server that
 * declares a protocol it means nothing — nothing is detected there — so it is reported as ignored
 * rather than silently dropped: the author meant something the Server does not do. A malformed
 * value is reported the same way and the install default applies.
 */
final class ServerTimeout {
  static final String FIELD = "metadata.annotations[" + Annotations.DETECT_TIMEOUT + "]";

  private ServerTimeout() {}

  /**
   * The timeout the annotation sets for a Server resolving to {@code protocol}, or null (with a
   * report added to {@code out}) when it sets none.
   */
  static @Nullable Duration check(
      ServerInfo server, Protocol protocol, String raw, List<TokenReport> out) {
    InvalidToken problem = problem(protocol, raw);
    if (problem != null) {
      out.add(new TokenReport(server.ref(), FIELD, problem));
      return null;
    }
    return DetectTimeout.parse(raw);
  }

  /** Why the annotation sets no timeout on a Server resolving to {@code protocol}, or null. */
  static @Nullable InvalidToken problem(Protocol protocol, String raw) {
    try {
      DetectTimeout.parse(raw);
    } catch (IllegalArgumentException e) {
      return DetectTimeout.invalid(raw, String.valueOf(e.getMessage()));
    }
    if (!(protocol instanceof Protocol.Detect)) {
      return DetectTimeout.invalid(
          raw,
          "ignored: the Server declares proxyProtocol "
              + protocol.id()
              + ", so nothing is detected on its ports (only unknown or absent proxyProtocol"
              + " detects)");
    }
    return null;
  }
}
