package dev.portolan.inject;

import dev.portolan.policy.model.ParsedPorts;
import dev.portolan.policy.model.PortListParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The install's settings for injected Pods (Helm values {@code proxy.*} and {@code proxyInit.*};
 * docs/injector.md). Annotations on a Pod or its Namespace override the skip lists and the proxy's
 * resources; everything else is the install's.
 *
 * @param controlPlaneNamespace the value of the {@code linkerd.io/control-plane-ns} label, which
 *     marks a Pod as meshed
 * @param identity whether injected proxies ask the identity service for a certificate
 */
public record InjectorConfig(
    String controlPlaneNamespace, Proxy proxy, ProxyInit proxyInit, Identity identity) {

  /** Identity off: the install's default until the chart's {@code identity.enabled} is set. */
  public InjectorConfig(String controlPlaneNamespace, Proxy proxy, ProxyInit proxyInit) {
    this(controlPlaneNamespace, proxy, proxyInit, Identity.off());
  }

  /**
   * The identity settings of injected proxies (docs/identity.md).
   *
   * @param enabled {@code PORTOLAN_IDENTITY=tls} and the projected ServiceAccount token; off:
   *     {@code PORTOLAN_IDENTITY=disabled} (no Certify, no mesh TLS)
   * @param trustDomain {@code PORTOLAN_TRUST_DOMAIN}
   * @param policyServerServiceAccount the policy-server's ServiceAccount, whose identity the proxy
   *     expects of the policy-server ({@link #policyServerIdentity})
   * @param trustRootsConfigMap a ConfigMap in the Pod's namespace holding {@code ca-bundle.crt},
   *     mounted where the proxy reads its trust anchors; blank: none is mounted
   */
  public record Identity(
      boolean enabled,
      String trustDomain,
      String policyServerServiceAccount,
      String trustRootsConfigMap) {
    public static Identity off() {
      return new Identity(false, "cluster.local", "portolan-policy", "");
    }

    /**
     * {@code <sa>.<controlNs>.serviceaccount.identity.<controlNs>.<trustDomain>}, the name the
     * policy-server's certificate carries ({@code PORTOLAN_POLICY_SERVER_IDENTITY}).
     */
    public String policyServerIdentity(String controlPlaneNamespace) {
      return policyServerServiceAccount
          + "."
          + controlPlaneNamespace
          + ".serviceaccount.identity."
          + controlPlaneNamespace
          + "."
          + trustDomain;
    }
  }

  /**
   * The sidecar.
   *
   * @param image the proxy image; its entry point is the proxy
   * @param version the value of the {@code linkerd.io/proxy-version} annotation; blank: the image's
   *     tag
   * @param policyServer host:port of the policy-server's gRPC API ({@code PORTOLAN_POLICY_SERVER})
   * @param logLevel {@code PORTOLAN_LOG_LEVEL}
   * @param jvmOptions {@code PORTOLAN_JVM_OPTIONS} when not blank (replaces the image's options)
   */
  public record Proxy(
      String image,
      String version,
      String imagePullPolicy,
      int uid,
      String policyServer,
      String logLevel,
      int inboundPort,
      int outboundPort,
      int adminPort,
      String jvmOptions,
      Resources resources) {}

  /**
   * The init container that installs the iptables rules.
   *
   * @param image blank: the proxy's image (it carries both entry points)
   * @param command the image's proxy-init entry point (the proxy's is the image's default)
   * @param ignoreInboundPorts install-wide skip-inbound-ports (port-list grammar, numbers only)
   * @param ignoreOutboundPorts install-wide skip-outbound-ports
   * @param skipSubnets install-wide skip-subnets (comma-separated CIDRs)
   * @param iptablesMode {@code legacy} or {@code nft} ({@code PORTOLAN_IPTABLES_MODE})
   */
  public record ProxyInit(
      String image,
      String imagePullPolicy,
      List<String> command,
      String ignoreInboundPorts,
      String ignoreOutboundPorts,
      String skipSubnets,
      String iptablesMode,
      Resources resources) {
    public ProxyInit {
      command = List.copyOf(command);
    }
  }

  /** Kubernetes quantities by resource name ({@code cpu}, {@code memory}). */
  public record Resources(Map<String, String> requests, Map<String, String> limits) {
    public static final Resources NONE = new Resources(Map.of(), Map.of());

    public Resources {
      requests = Map.copyOf(requests);
      limits = Map.copyOf(limits);
    }
  }

  /** The proxy's well-known ports and UID, with the image of docs/proxy.md. */
  public static InjectorConfig defaults(String controlPlaneNamespace, String image) {
    return new InjectorConfig(
        controlPlaneNamespace,
        new Proxy(
            image,
            "",
            "IfNotPresent",
            2102,
            "portolan-policy." + controlPlaneNamespace + ".svc.cluster.local:8086",
            "info",
            4143,
            4140,
            4191,
            "",
            new Resources(Map.of("cpu", "100m", "memory", "128Mi"), Map.of("memory", "256Mi"))),
        new ProxyInit(
            "",
            "IfNotPresent",
            List.of("/opt/portolan/bin/proxy-init"),
            "",
            "",
            "",
            "legacy",
            new Resources(Map.of("cpu", "10m", "memory", "32Mi"), Map.of("memory", "128Mi"))));
  }

  /** The init container's image: its own, or the proxy's. */
  public String initImage() {
    return proxyInit.image().isBlank() ? proxy.image() : proxyInit.image();
  }

  /** The {@code linkerd.io/proxy-version} value: configured, else the image's tag or digest. */
  public String proxyVersion() {
    if (!proxy.version().isBlank()) {
      return proxy.version();
    }
    String image = proxy.image();
    int at = image.indexOf('@');
    if (at >= 0) {
      return image.substring(at + 1);
    }
    int colon = image.lastIndexOf(':');
    return colon > image.lastIndexOf('/') ? image.substring(colon + 1) : "latest";
  }

  /**
   * What is wrong with these settings, one line each naming the setting; empty when nothing is. An
   * install setting is not user data: the webhook refuses to start on any of these, where a bad
   * annotation on a Pod only earns a warning.
   */
  public List<String> problems() {
    List<String> out = new ArrayList<>();
    if (controlPlaneNamespace.isBlank()) {
      out.add("control-plane namespace: must not be blank");
    }
    if (proxy.image().isBlank()) {
      out.add("proxy.image: must not be blank");
    }
    if (proxy.policyServer().isBlank()) {
      out.add("proxy.policy-server: must not be blank");
    }
    if (proxy.uid() <= 0) {
      out.add("proxy.uid: " + proxy.uid() + " must be a non-root UID");
    }
    port(out, "proxy.inbound-port", proxy.inboundPort());
    port(out, "proxy.outbound-port", proxy.outboundPort());
    port(out, "proxy.admin-port", proxy.adminPort());
    if (proxyInit.command().isEmpty()) {
      out.add("proxy-init.command: must not be empty");
    }
    ports(out, "proxy-init.ignore-inbound-ports", proxyInit.ignoreInboundPorts());
    ports(out, "proxy-init.ignore-outbound-ports", proxyInit.ignoreOutboundPorts());
    Subnets.Parsed subnets = Subnets.parse(proxyInit.skipSubnets());
    for (String e : subnets.invalid()) {
      out.add("proxy-init.skip-subnets: " + e);
    }
    if (!List.of("legacy", "nft").contains(proxyInit.iptablesMode())) {
      out.add(
          "proxy-init.iptables-mode: '" + proxyInit.iptablesMode() + "' is not one of legacy, nft");
    }
    if (identity.enabled() && identity.trustDomain().isBlank()) {
      out.add("identity.trust-domain: must not be blank");
    }
    if (identity.enabled() && identity.policyServerServiceAccount().isBlank()) {
      out.add("identity.policy-server-service-account: must not be blank");
    }
    quantities(out, "proxy.resources", proxy.resources());
    quantities(out, "proxy-init.resources", proxyInit.resources());
    return out;
  }

  private static void port(List<String> out, String name, int port) {
    if (port < 1 || port > 65535) {
      out.add(name + ": " + port + " is out of range 1-65535");
    }
  }

  private static void ports(List<String> out, String name, String raw) {
    ParsedPorts p = PortListParser.parse(raw);
    p.invalid().forEach(t -> out.add(name + ": " + t));
  }

  private static void quantities(List<String> out, String name, Resources r) {
    r.requests()
        .forEach((k, v) ->
            Quantities.problem(v)
                .ifPresent(why -> out.add(name + ".requests." + k + ": '" + v + "' " + why)));
    r.limits()
        .forEach((k, v) ->
            Quantities.problem(v)
                .ifPresent(why -> out.add(name + ".limits." + k + ": '" + v + "' " + why)));
  }
}
