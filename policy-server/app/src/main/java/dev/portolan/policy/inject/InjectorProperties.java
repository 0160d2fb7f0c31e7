package dev.portolan.policy.inject;

import dev.portolan.inject.InjectorConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Settings under {@code portolan.injector.*} (docs/injector.md; the Helm chart writes them from its
 * {@code proxy.*}, {@code proxyInit.*} and {@code injector.*} values).
 *
 * @param enabled serve the webhook at all (off by default: the embedded default has no API server
 *     to call it)
 * @param port the HTTPS port (0: any free port)
 * @param certFile PEM certificate chain; with {@code keyFile}. Neither: a self-signed certificate
 *     is generated at start and logged, which only a caller told to trust it accepts
 * @param keyFile PEM private key (PKCS#1, SEC1 or PKCS#8)
 * @param maxRequestSize a larger AdmissionReview is refused with 413 before it is read whole
 */
@ConfigurationProperties("portolan.injector")
public record InjectorProperties(
    @DefaultValue("false") boolean enabled,
    @DefaultValue("9443") int port,
    @DefaultValue("/inject") String path,
    @Nullable Path certFile,
    @Nullable Path keyFile,
    @DefaultValue("4MB") DataSize maxRequestSize,
    @DefaultValue Proxy proxy,
    @DefaultValue ProxyInit proxyInit,
    @DefaultValue Identity identity) {

  /**
   * What injected proxies need of the identity service (the chart writes these from its {@code
   * identity.*} values).
   *
   * @param enabled off: injected proxies run with {@code PORTOLAN_IDENTITY=disabled}
   * @param policyServerServiceAccount the policy-server's ServiceAccount: its identity is the one
   *     proxies expect of the policy-server ({@code PORTOLAN_POLICY_SERVER_IDENTITY})
   * @param trustRootsConfigMap the ConfigMap of trust anchors mounted into meshed pods
   */
  public record Identity(
      @DefaultValue("false") boolean enabled,
      @DefaultValue("cluster.local") String trustDomain,
      @DefaultValue("portolan-policy") String policyServerServiceAccount,
      @DefaultValue("") String trustRootsConfigMap) {
    InjectorConfig.Identity toConfig() {
      return new InjectorConfig.Identity(
          enabled, trustDomain, policyServerServiceAccount, trustRootsConfigMap);
    }
  }

  /**
   * @param version the {@code linkerd.io/proxy-version} annotation; empty: the image's tag
   * @param policyServer empty: {@code portolan-policy.<control-plane namespace>.svc.<cluster
   *     domain>:<grpc port>}, the chart's headless Service
   * @param resources null: requests cpu 100m, memory 128Mi; limit memory 256Mi
   */
  public record Proxy(
      @DefaultValue("portolan/proxy:0.1.0") String image,
      @DefaultValue("") String version,
      @DefaultValue("IfNotPresent") String imagePullPolicy,
      @DefaultValue("2102") int uid,
      @DefaultValue("") String policyServer,
      @DefaultValue("info") String logLevel,
      @DefaultValue("4143") int inboundPort,
      @DefaultValue("4140") int outboundPort,
      @DefaultValue("4191") int adminPort,
      @DefaultValue("") String jvmOptions,
      @Nullable Resources resources) {}

  /**
   * @param image empty: the proxy's image
   * @param resources null: requests cpu 10m, memory 32Mi; limit memory 128Mi
   */
  public record ProxyInit(
      @DefaultValue("") String image,
      @DefaultValue("IfNotPresent") String imagePullPolicy,
      @DefaultValue("/opt/portolan/bin/proxy-init") List<String> command,
      @DefaultValue("") String ignoreInboundPorts,
      @DefaultValue("") String ignoreOutboundPorts,
      @DefaultValue("") String skipSubnets,
      @DefaultValue("legacy") String iptablesMode,
      @Nullable Resources resources) {}

  public record Resources(
      @DefaultValue Map<String, String> requests, @DefaultValue Map<String, String> limits) {
    InjectorConfig.Resources toConfig() {
      return new InjectorConfig.Resources(requests, limits);
    }
  }

  /** The injector's settings, the unset ones from {@link InjectorConfig#defaults}. */
  InjectorConfig toConfig(String controlPlaneNamespace, String clusterDomain, int grpcPort) {
    InjectorConfig d = InjectorConfig.defaults(controlPlaneNamespace, proxy.image());
    String policyServer =
        proxy.policyServer().isBlank()
            ? "portolan-policy." + controlPlaneNamespace + ".svc." + clusterDomain + ":" + grpcPort
            : proxy.policyServer();
    return new InjectorConfig(
        controlPlaneNamespace,
        new InjectorConfig.Proxy(
            proxy.image(),
            proxy.version(),
            proxy.imagePullPolicy(),
            proxy.uid(),
            policyServer,
            proxy.logLevel(),
            proxy.inboundPort(),
            proxy.outboundPort(),
            proxy.adminPort(),
            proxy.jvmOptions(),
            proxy.resources() == null ? d.proxy().resources() : proxy.resources().toConfig()),
        new InjectorConfig.ProxyInit(
            proxyInit.image(),
            proxyInit.imagePullPolicy(),
            proxyInit.command(),
            proxyInit.ignoreInboundPorts(),
            proxyInit.ignoreOutboundPorts(),
            proxyInit.skipSubnets(),
            proxyInit.iptablesMode(),
            proxyInit.resources() == null
                ? d.proxyInit().resources()
                : proxyInit.resources().toConfig()),
        identity.toConfig());
  }
}
