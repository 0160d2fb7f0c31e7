package dev.portolan.policy.resolve;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * A destination path {@code host[:port]} as proxies send it. The port defaults to 80. Error
 * messages quote the path escaped and cut ({@link ClientText}): they reach logs and clients.
 *
 * @param host lower-cased host name or IP literal (IPv6 without brackets)
 */
public record Authority(String host, int port) {

  public static Authority parse(@Nullable String path) {
    if (path == null || path.isBlank()) {
      throw new BadRequestException("empty destination path");
    }
    String p = path.strip();
    String host;
    String portText = null;
    if (p.startsWith("[")) {
      int close = p.indexOf(']');
      if (close < 0) {
        throw new BadRequestException(
            "unterminated IPv6 literal in '" + ClientText.clip(path) + "'");
      }
      host = p.substring(1, close);
      String rest = p.substring(close + 1);
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":")) {
          throw new BadRequestException(
              "unexpected '" + ClientText.clip(rest) + "' after IPv6 literal");
        }
        portText = rest.substring(1);
      }
    } else {
      int colon = p.lastIndexOf(':');
      if (colon >= 0 && p.indexOf(':') != colon) {
        throw new BadRequestException(
            "IPv6 literal must be in brackets: '" + ClientText.clip(path) + "'");
      }
      host = colon >= 0 ? p.substring(0, colon) : p;
      portText = colon >= 0 ? p.substring(colon + 1) : null;
    }
    if (host.isEmpty()) {
      throw new BadRequestException("missing host in '" + ClientText.clip(path) + "'");
    }
    int port = 80;
    if (portText != null) {
      try {
        port = Integer.parseInt(portText);
      } catch (NumberFormatException e) {
        throw new BadRequestException(
            "invalid port '" + ClientText.clip(portText) + "' in '" + ClientText.clip(path) + "'");
      }
      if (port < 1 || port > 65535) {
        throw new BadRequestException(
            "port " + port + " out of range 1-65535 in '" + ClientText.clip(path) + "'");
      }
    }
    return new Authority(host.toLowerCase(Locale.ROOT), port);
  }

  public boolean isIp() {
    return isIpv4(host) || (host.indexOf(':') >= 0 && host.matches("[0-9a-f:.]+"));
  }

  /**
   * The Service this names, for {@code <svc>.<ns>.svc.<clusterDomain>}; null for any other name.
   */
  public @Nullable ServiceName serviceName(String clusterDomain) {
    String suffix = ".svc." + clusterDomain.toLowerCase(Locale.ROOT);
    String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    if (!h.endsWith(suffix)) {
      return null;
    }
    String[] parts = h.substring(0, h.length() - suffix.length()).split("\\.", -1);
    if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
      return null;
    }
    return new ServiceName(parts[1], parts[0], parts[0] + "." + parts[1] + suffix);
  }

  @Override
  public String toString() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  static boolean isIpv4(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String part : parts) {
      if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)) {
        return false;
      }
      if (Integer.parseInt(part) > 255) {
        return false;
      }
    }
    return true;
  }

  /** A Service named in the cluster domain; {@code fqn} has no trailing dot. */
  public record ServiceName(String namespace, String name, String fqn) {}
}
