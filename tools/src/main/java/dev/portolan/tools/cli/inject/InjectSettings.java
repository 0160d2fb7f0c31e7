package dev.portolan.tools.cli.inject;

import dev.portolan.inject.InjectorConfig;
import dev.portolan.tools.cli.UsageException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The install settings {@code --set} overrides, under the policy-server's own property names
 * ({@code portolan.injector.proxy.image}, docs/injector.md "Settings"), so that a value copied from
 * the chart's ConfigMap means the same here. Unset ones take the webhook's defaults: the same
 * {@link InjectorConfig#defaults} and the same {@code portolan-policy.<namespace>.svc.<cluster
 * domain>:<grpc port>} address the policy-server derives.
 */
final class InjectSettings {
  static final String PREFIX = "portolan.injector.";
  static final String CONTROL_PLANE_NAMESPACE = "portolan.control-plane-namespace";
  static final String CLUSTER_DOMAIN = "portolan.cluster-domain";
  static final String GRPC_PORT = "portolan.grpc.port";

  /** Plain (non-map) keys this command knows, in the order {@code --help} would list them. */
  static final List<String> KEYS =
      List.of(
          CONTROL_PLANE_NAMESPACE,
          CLUSTER_DOMAIN,
          GRPC_PORT,
          PREFIX + "proxy.image",
          PREFIX + "proxy.version",
          PREFIX + "proxy.image-pull-policy",
          PREFIX + "proxy.uid",
          PREFIX + "proxy.policy-server",
          PREFIX + "proxy.log-level",
          PREFIX + "proxy.inbound-port",
          PREFIX + "proxy.outbound-port",
          PREFIX + "proxy.admin-port",
          PREFIX + "proxy.jvm-options",
          PREFIX + "proxy-init.image",
          PREFIX + "proxy-init.image-pull-policy",
          PREFIX + "proxy-init.command",
          PREFIX + "proxy-init.ignore-inbound-ports",
          PREFIX + "proxy-init.ignore-outbound-ports",
          PREFIX + "proxy-init.skip-subnets",
          PREFIX + "proxy-init.iptables-mode",
          PREFIX + "identity.enabled",
          PREFIX + "identity.trust-domain",
          PREFIX + "identity.policy-server-service-account",
          PREFIX + "identity.trust-roots-config-map");

  /** Map-valued keys: {@code <prefix><resource name>}. */
  static final List<String> RESOURCE_PREFIXES =
      List.of(
          PREFIX + "proxy.resources.requests.",
          PREFIX + "proxy.resources.limits.",
          PREFIX + "proxy-init.resources.requests.",
          PREFIX + "proxy-init.resources.limits.");

  private InjectSettings() {}

  /**
   * The injector's settings from {@code --set key=value} arguments.
   *
   * @throws UsageException naming an unknown key, a value that is not a number, or every setting
   *     the injector refuses ({@link InjectorConfig#problems()})
   */
  static InjectorConfig parse(List<String> sets) throws UsageException {
    Map<String, String> plain = new HashMap<>();
    Map<String, Map<String, String>> resources = new HashMap<>();
    for (String set : sets) {
      int eq = set.indexOf('=');
      if (eq <= 0) {
        throw new UsageException("--set needs key=value, got '" + set + "'");
      }
      String key = kebab(set.substring(0, eq).strip());
      String value = set.substring(eq + 1);
      String resourcePrefix =
          RESOURCE_PREFIXES.stream().filter(key::startsWith).findFirst().orElse(null);
      if (resourcePrefix != null && key.length() > resourcePrefix.length()) {
        resources
            .computeIfAbsent(resourcePrefix, k -> new LinkedHashMap<>())
            .put(key.substring(resourcePrefix.length()), value);
      } else if (KEYS.contains(key)) {
        plain.put(key, value);
      } else {
        throw new UsageException(
            "--set "
                + set.substring(0, eq)
                + ": not a setting of the injector; known: "
                + String.join(", ", KEYS)
                + ", and "
                + String.join("NAME, ", RESOURCE_PREFIXES)
                + "NAME");
      }
    }

    String namespace = plain.getOrDefault(CONTROL_PLANE_NAMESPACE, "portolan");
    String clusterDomain = plain.getOrDefault(CLUSTER_DOMAIN, "cluster.local");
    int grpcPort = integer(plain, GRPC_PORT, 8086);
    Function<String, @Nullable String> p = k -> plain.get(PREFIX + k);
    InjectorConfig d =
        InjectorConfig.defaults(namespace, or(p.apply("proxy.image"), "portolan/proxy:0.1.0"));
    InjectorConfig.Proxy dp = d.proxy();
    InjectorConfig.ProxyInit di = d.proxyInit();
    String policyServer =
        or(
            p.apply("proxy.policy-server"),
            "portolan-policy." + namespace + ".svc." + clusterDomain + ":" + grpcPort);
    String command = p.apply("proxy-init.command");
    InjectorConfig config =
        new InjectorConfig(
            namespace,
            new InjectorConfig.Proxy(
                dp.image(),
                or(p.apply("proxy.version"), dp.version()),
                or(p.apply("proxy.image-pull-policy"), dp.imagePullPolicy()),
                integer(plain, PREFIX + "proxy.uid", dp.uid()),
                policyServer,
                or(p.apply("proxy.log-level"), dp.logLevel()),
                integer(plain, PREFIX + "proxy.inbound-port", dp.inboundPort()),
                integer(plain, PREFIX + "proxy.outbound-port", dp.outboundPort()),
                integer(plain, PREFIX + "proxy.admin-port", dp.adminPort()),
                or(p.apply("proxy.jvm-options"), dp.jvmOptions()),
                resources(resources, "proxy.", dp.resources())),
            new InjectorConfig.ProxyInit(
                or(p.apply("proxy-init.image"), di.image()),
                or(p.apply("proxy-init.image-pull-policy"), di.imagePullPolicy()),
                // A list property given on one line, as Spring binds it: comma-separated.
                command == null
                    ? di.command()
                    : Arrays.stream(command.split(",")).map(String::strip).toList(),
                or(p.apply("proxy-init.ignore-inbound-ports"), di.ignoreInboundPorts()),
                or(p.apply("proxy-init.ignore-outbound-ports"), di.ignoreOutboundPorts()),
                or(p.apply("proxy-init.skip-subnets"), di.skipSubnets()),
                or(p.apply("proxy-init.iptables-mode"), di.iptablesMode()),
                resources(resources, "proxy-init.", di.resources())),
            identity(p));
    List<String> problems = new ArrayList<>();
    for (String problem : config.problems()) {
      problems.add(problem.startsWith("control-plane") ? problem : PREFIX + problem);
    }
    if (!problems.isEmpty()) {
      throw new UsageException("invalid settings: " + String.join("; ", problems));
    }
    return config;
  }

  /**
   * Setting any request or limit replaces the default resources as a whole, as a {@code resources}
   * block in the policy-server's settings does.
   */
  private static InjectorConfig.Resources resources(
      Map<String, Map<String, String>> given, String part, InjectorConfig.Resources fallback) {
    Map<String, String> requests = given.get(PREFIX + part + "resources.requests.");
    Map<String, String> limits = given.get(PREFIX + part + "resources.limits.");
    if (requests == null && limits == null) {
      return fallback;
    }
    return new InjectorConfig.Resources(
        requests == null ? Map.of() : requests, limits == null ? Map.of() : limits);
  }

  private static InjectorConfig.Identity identity(Function<String, @Nullable String> p)
      throws UsageException {
    InjectorConfig.Identity d = InjectorConfig.Identity.off();
    String enabled = or(p.apply("identity.enabled"), "false").strip();
    if (!enabled.equals("true") && !enabled.equals("false")) {
      throw new UsageException(
          "--set " + PREFIX + "identity.enabled: '" + enabled + "' is not true or false");
    }
    return new InjectorConfig.Identity(
        Boolean.parseBoolean(enabled),
        or(p.apply("identity.trust-domain"), d.trustDomain()),
        or(p.apply("identity.policy-server-service-account"), d.policyServerServiceAccount()),
        or(p.apply("identity.trust-roots-config-map"), d.trustRootsConfigMap()));
  }

  private static int integer(Map<String, String> plain, String key, int fallback)
      throws UsageException {
    String v = plain.get(key);
    if (v == null) {
      return fallback;
    }
    try {
      return Integer.parseInt(v.strip());
    } catch (NumberFormatException e) {
      throw new UsageException("--set " + key + ": '" + v + "' is not a number");
    }
  }

  private static String or(@Nullable String value, String fallback) {
    return value == null ? fallback : value;
  }

  /**
   * Spring's relaxed binding accepts {@code imagePullPolicy} for {@code image-pull-policy}; so does
   * this, for the same keys.
   */
  static String kebab(String key) {
    StringBuilder b = new StringBuilder();
    for (char c : key.toCharArray()) {
      if (Character.isUpperCase(c)) {
        b.append('-').append(Character.toLowerCase(c));
      } else {
        b.append(c);
      }
    }
    return b.toString().toLowerCase(Locale.ROOT);
  }
}
