package dev.portolan.proxy.identity;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Where the proxy gets its certificate (docs/design/identity.md).
 *
 * @param mode how Certify is reached, or that identity is off
 * @param identity this proxy's mesh identity, the name its certificate will carry
 * @param address host:port of the identity service (the policy-server's gRPC port)
 * @param tokenFile the projected ServiceAccount token, read again before every Certify (the kubelet
 *     rotates it)
 * @param trustAnchors PEM bundle of the trust anchors (peers and the policy-server chain to them)
 * @param serverName the name the policy-server's certificate must carry ({@link Mode#TLS})
 */
public record IdentityConfig(
    Mode mode,
    String identity,
    String address,
    Path tokenFile,
    Path trustAnchors,
    String serverName) {

  public static final String DEFAULT_TOKEN_FILE = "/var/run/secrets/tokens/portolan-identity-token";

  /** The ServiceAccount name in the policy-server's own identity (its default). */
  public static final String POLICY_SERVER_ACCOUNT = "portolan-policy";

  public static final String DEFAULT_TRUST_ANCHORS = "/var/run/portolan/identity/ca-bundle.crt";

  /** How Certify is reached. */
  public enum Mode {
    /** TLS verifying the policy-server against the trust anchors and {@code serverName}. */
    TLS,
    /**
     * Plaintext gRPC: only for the embedded default and the test bed, where the policy-server's
     * port is plaintext ({@code portolan.grpc.tls=off}). Never the default.
     */
    PLAINTEXT,
    /** No identity: no Certify, no mesh TLS (the proxy as it was before identity existed). */
    DISABLED
  }

  /**
   * From the proxy's environment (docs/proxy.md):
   *
   * <ul>
   *   <li>{@code PORTOLAN_IDENTITY}: {@code tls} (default), {@code plaintext} or {@code disabled}
   *   <li>{@code PORTOLAN_SERVICE_ACCOUNT}, {@code PORTOLAN_NAMESPACE} (shared with the rest of the
   *       proxy), {@code PORTOLAN_CONTROL_NAMESPACE} ({@code portolan}), {@code
   *       PORTOLAN_TRUST_DOMAIN} ({@code cluster.local}): the identity
   *   <li>{@code PORTOLAN_IDENTITY_ADDRESS}: default {@code PORTOLAN_POLICY_SERVER}, else {@code
   *       127.0.0.1:8086}
   *   <li>{@code PORTOLAN_IDENTITY_TOKEN_FILE}, {@code PORTOLAN_IDENTITY_TRUST_ANCHORS}: see the
   *       defaults above
   *   <li>{@code PORTOLAN_POLICY_SERVER_IDENTITY} (formerly {@code PORTOLAN_IDENTITY_SERVER_NAME},
   *       still read): the name in the policy-server's certificate, default {@code
   *       portolan-policy.<controlNs>.serviceaccount.identity.<controlNs>.<trustDomain>} (the
   *       policy-server's {@code portolan.grpc.tls-service-account}, docs/configuration.md)
   * </ul>
   *
   * @throws IllegalArgumentException naming the variable and the value
   */
  public static IdentityConfig fromEnv(Map<String, String> env) {
    Mode mode = modeOf(env.getOrDefault("PORTOLAN_IDENTITY", "tls"));
    String controlNs = env.getOrDefault("PORTOLAN_CONTROL_NAMESPACE", "portolan");
    String trustDomain = env.getOrDefault("PORTOLAN_TRUST_DOMAIN", "cluster.local");
    String identity;
    String serverName;
    try {
      identity =
          IdentityNames.of(
              env.getOrDefault("PORTOLAN_SERVICE_ACCOUNT", "default"),
              env.getOrDefault("PORTOLAN_NAMESPACE", "default"),
              controlNs,
              trustDomain);
      serverName =
          env.getOrDefault(
              "PORTOLAN_POLICY_SERVER_IDENTITY",
              env.getOrDefault(
                  "PORTOLAN_IDENTITY_SERVER_NAME",
                  IdentityNames.of(POLICY_SERVER_ACCOUNT, controlNs, controlNs, trustDomain)));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "PORTOLAN_SERVICE_ACCOUNT, PORTOLAN_NAMESPACE, PORTOLAN_CONTROL_NAMESPACE or"
              + " PORTOLAN_TRUST_DOMAIN: "
              + e.getMessage(),
          e);
    }
    return new IdentityConfig(
        mode,
        identity,
        env.getOrDefault(
            "PORTOLAN_IDENTITY_ADDRESS",
            env.getOrDefault("PORTOLAN_POLICY_SERVER", "127.0.0.1:8086")),
        Path.of(env.getOrDefault("PORTOLAN_IDENTITY_TOKEN_FILE", DEFAULT_TOKEN_FILE)),
        Path.of(env.getOrDefault("PORTOLAN_IDENTITY_TRUST_ANCHORS", DEFAULT_TRUST_ANCHORS)),
        serverName);
  }

  private static Mode modeOf(String value) {
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "tls", "" -> Mode.TLS;
      case "plaintext" -> Mode.PLAINTEXT;
      case "disabled" -> Mode.DISABLED;
      default ->
          throw new IllegalArgumentException(
              "PORTOLAN_IDENTITY: '" + value + "' is not one of tls, plaintext, disabled");
    };
  }
}
