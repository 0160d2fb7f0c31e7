package dev.portolan.inject;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The containers and volumes the injector adds, built from the install's settings and one Pod's
 * resolved {@link PodSettings}. Names and environment are those the proxy and proxy-init read
 * (docs/proxy.md).
 */
final class ProxySpec {
  static final String PROXY = "portolan-proxy";
  static final String INIT = "portolan-init";
  static final String TOKEN_VOLUME = "portolan-identity-token";
  static final String XTABLES_VOLUME = "portolan-proxy-init-xtables-lock";
  static final String TOKEN_DIR = "/var/run/secrets/tokens";
  static final String TRUST_ROOTS_VOLUME = "portolan-identity-trust-roots";
  static final String TRUST_ROOTS_DIR = "/var/run/portolan/identity";
  static final String TRUST_ROOTS_KEY = "ca-bundle.crt";

  /** The audience the identity service asks TokenReview for, as Linkerd's does. */
  static final String TOKEN_AUDIENCE = "identity.l5d.io";

  static final long TOKEN_SECONDS = 86_400;

  /** Ports of the proxy that are never redirected inbound: tap (Linkerd's) and admin. */
  static final List<Integer> ALWAYS_SKIPPED_INBOUND = List.of(4190, 4191);

  private ProxySpec() {}

  static Container proxy(InjectorConfig config, PodSettings pod) {
    InjectorConfig.Proxy p = config.proxy();
    List<EnvVar> env = new ArrayList<>();
    // Downward API first: later values refer to them as $(NAME), which Kubernetes expands only
    // from variables defined earlier in the list.
    env.add(field("PORTOLAN_NAMESPACE", "metadata.namespace"));
    env.add(field("PORTOLAN_POD", "metadata.name"));
    env.add(field("PORTOLAN_NODE_NAME", "spec.nodeName"));
    env.add(field("PORTOLAN_SERVICE_ACCOUNT", "spec.serviceAccountName"));
    env.add(value("PORTOLAN_POLICY_SERVER", p.policyServer()));
    // The Destination context token, as Linkerd's proxy sends it (docs/design/streams.md).
    env.add(
        value(
            "PORTOLAN_CONTEXT_TOKEN",
            "{\"ns\":\"$(PORTOLAN_NAMESPACE)\",\"nodeName\":\"$(PORTOLAN_NODE_NAME)\","
                + "\"pod\":\"$(PORTOLAN_POD)\"}"));
    env.add(value("PORTOLAN_INBOUND_PORT", Integer.toString(p.inboundPort())));
    env.add(value("PORTOLAN_OUTBOUND_PORT", Integer.toString(p.outboundPort())));
    env.add(value("PORTOLAN_ADMIN_PORT", Integer.toString(p.adminPort())));
    // Read by the policy-server from the Pod spec: the port peers' proxies connect to
    // (docs/design/sources-and-precedence.md, "Meshed Pods").
    env.add(value("PORTOLAN_PROXY_INBOUND_LISTEN_ADDR", "0.0.0.0:" + p.inboundPort()));
    if (!pod.inboundPorts().isEmpty()) {
      env.add(value("PORTOLAN_INBOUND_PORTS", pod.inboundPorts().toString()));
    }
    env.add(value("PORTOLAN_LOG_LEVEL", p.logLevel()));
    if (!p.jvmOptions().isBlank()) {
      env.add(value("PORTOLAN_JVM_OPTIONS", p.jvmOptions()));
    }
    // The proxy refuses a transport header naming a port proxy-init lets bypass it: the same list.
    env.add(value("PORTOLAN_SKIP_INBOUND_PORTS", skipInbound(config, pod).toString()));
    InjectorConfig.Identity id = config.identity();
    String controlNs = config.controlPlaneNamespace();
    if (id.enabled()) {
      // The proxy's own name is built from these and the downward API's ServiceAccount and
      // namespace above: <sa>.<ns>.serviceaccount.identity.<controlNs>.<trustDomain>.
      env.add(value("PORTOLAN_IDENTITY", "tls"));
      env.add(value("PORTOLAN_CONTROL_NAMESPACE", controlNs));
      env.add(value("PORTOLAN_TRUST_DOMAIN", id.trustDomain()));
      // Certify's server name and the gRPC client's expectation of the policy-server: both are
      // the policy-server's own identity.
      String server = id.policyServerIdentity(controlNs);
      env.add(value("PORTOLAN_IDENTITY_SERVER_NAME", server));
      env.add(value("PORTOLAN_POLICY_SERVER_IDENTITY", server));
      env.add(value("PORTOLAN_IDENTITY_TOKEN_FILE", TOKEN_DIR + "/" + TOKEN_VOLUME));
      if (!id.trustRootsConfigMap().isBlank()) {
        env.add(value("PORTOLAN_IDENTITY_TRUST_ANCHORS", TRUST_ROOTS_DIR + "/" + TRUST_ROOTS_KEY));
      }
    } else {
      // The proxy's default is tls: without an identity service it would wait for a certificate.
      env.add(value("PORTOLAN_IDENTITY", "disabled"));
    }

    return new ContainerBuilder()
        .withName(PROXY)
        .withImage(p.image())
        .withImagePullPolicy(p.imagePullPolicy())
        .withEnv(env)
        .addNewPort()
        .withName("portolan-proxy")
        .withContainerPort(p.inboundPort())
        .withProtocol("TCP")
        .endPort()
        .addNewPort()
        .withName("portolan-admin")
        .withContainerPort(p.adminPort())
        .withProtocol("TCP")
        .endPort()
        // The JVM takes a second or two to start (more on a busy node): the startup probe gives
        // it two minutes before liveness counts, rather than a fixed initial delay.
        .withStartupProbe(probe("/live", p.adminPort(), 1, 120))
        .withLivenessProbe(probe("/live", p.adminPort(), 10, 3))
        .withReadinessProbe(probe("/ready", p.adminPort(), 5, 3))
        .withResources(resources(pod.requests(), pod.limits()))
        // No seccompProfile: the Pod's own applies. RuntimeDefault forbids io_uring on recent
        // runtimes, and the proxy then picks epoll by itself (docs/proxy.md, PORTOLAN_TRANSPORT).
        .withNewSecurityContext()
        .withAllowPrivilegeEscalation(false)
        .withNewCapabilities()
        .withDrop("ALL")
        .endCapabilities()
        .withReadOnlyRootFilesystem(true)
        .withRunAsNonRoot(true)
        .withRunAsUser((long) p.uid())
        .endSecurityContext()
        .withTerminationMessagePolicy("FallbackToLogsOnError")
        .addNewVolumeMount()
        .withName(TOKEN_VOLUME)
        .withMountPath(TOKEN_DIR)
        .withReadOnly(true)
        .endVolumeMount()
        .addAllToVolumeMounts(
            trustRoots(config)
                ? List.of(
                    new io.fabric8.kubernetes.api.model.VolumeMountBuilder()
                        .withName(TRUST_ROOTS_VOLUME)
                        .withMountPath(TRUST_ROOTS_DIR)
                        .withReadOnly(true)
                        .build())
                : List.of())
        .build();
  }

  /** The trust anchors are mounted only with identity on and a ConfigMap named. */
  static boolean trustRoots(InjectorConfig config) {
    return config.identity().enabled() && !config.identity().trustRootsConfigMap().isBlank();
  }

  /** The chart's trust-roots ConfigMap, at the path the proxy reads by default. */
  static Volume trustRootsVolume(InjectorConfig config) {
    return new VolumeBuilder()
        .withName(TRUST_ROOTS_VOLUME)
        .withNewConfigMap()
        .withName(config.identity().trustRootsConfigMap())
        .endConfigMap()
        .build();
  }

  /** Skipped inbound: the pod's (or namespace's, or install's) list, and the proxy's own ports. */
  static dev.portolan.policy.model.PortSet skipInbound(InjectorConfig config, PodSettings pod) {
    List<Integer> own = new ArrayList<>(ALWAYS_SKIPPED_INBOUND);
    own.add(config.proxy().adminPort());
    return pod.skipInbound().union(dev.portolan.policy.model.PortSet.of(toArray(own)));
  }

  static Container init(InjectorConfig config, PodSettings pod) {
    InjectorConfig.Proxy p = config.proxy();
    List<String> args = new ArrayList<>();
    args.add("--inbound-port");
    args.add(Integer.toString(p.inboundPort()));
    args.add("--outbound-port");
    args.add(Integer.toString(p.outboundPort()));
    args.add("--proxy-uid");
    args.add(Integer.toString(p.uid()));
    // proxy-init skips 4190 and 4191 by itself; they are written out anyway so the Pod spec says
    // everything that bypasses the proxy.
    args.add("--skip-inbound-ports");
    args.add(skipInbound(config, pod).toString());
    if (!pod.skipOutbound().isEmpty()) {
      args.add("--skip-outbound-ports");
      args.add(pod.skipOutbound().toString());
    }
    if (!pod.skipSubnets().isEmpty()) {
      args.add("--skip-subnets");
      args.add(String.join(",", pod.skipSubnets()));
    }
    InjectorConfig.ProxyInit i = config.proxyInit();
    return new ContainerBuilder()
        .withName(INIT)
        .withImage(config.initImage())
        .withImagePullPolicy(i.imagePullPolicy())
        .withCommand(i.command())
        .withArgs(args)
        .withEnv(value("PORTOLAN_IPTABLES_MODE", i.iptablesMode()))
        .withResources(resources(i.resources().requests(), i.resources().limits()))
        // Root with NET_ADMIN and NET_RAW, here only: iptables needs them, and the container
        // exits before the application starts.
        .withNewSecurityContext()
        .withAllowPrivilegeEscalation(false)
        .withNewCapabilities()
        .withAdd("NET_ADMIN", "NET_RAW")
        .endCapabilities()
        .withPrivileged(false)
        .withReadOnlyRootFilesystem(true)
        .withRunAsNonRoot(false)
        .withRunAsUser(0L)
        .endSecurityContext()
        .withTerminationMessagePolicy("FallbackToLogsOnError")
        // iptables takes its lock file under /run, which a read-only root cannot hold.
        .addNewVolumeMount()
        .withName(XTABLES_VOLUME)
        .withMountPath("/run")
        .endVolumeMount()
        .build();
  }

  /** The ServiceAccount token the identity service validates (TokenReview, its own audience). */
  static Volume tokenVolume() {
    return new VolumeBuilder()
        .withName(TOKEN_VOLUME)
        .withNewProjected()
        .addNewSource()
        .withNewServiceAccountToken()
        .withAudience(TOKEN_AUDIENCE)
        .withExpirationSeconds(TOKEN_SECONDS)
        .withPath(TOKEN_VOLUME)
        .endServiceAccountToken()
        .endSource()
        .endProjected()
        .build();
  }

  static Volume xtablesVolume() {
    return new VolumeBuilder().withName(XTABLES_VOLUME).withNewEmptyDir().endEmptyDir().build();
  }

  private static ResourceRequirements resources(
      Map<String, String> requests, Map<String, String> limits) {
    return new ResourceRequirementsBuilder()
        .withRequests(quantities(requests))
        .withLimits(quantities(limits))
        .build();
  }

  private static Map<String, Quantity> quantities(Map<String, String> in) {
    Map<String, Quantity> out = new LinkedHashMap<>();
    in.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> out.put(e.getKey(), new Quantity(e.getValue())));
    return out;
  }

  private static Probe probe(String path, int port, int period, int failures) {
    return new ProbeBuilder()
        .withNewHttpGet()
        .withPath(path)
        .withPort(new IntOrString(port))
        .endHttpGet()
        .withPeriodSeconds(period)
        .withTimeoutSeconds(1)
        .withFailureThreshold(failures)
        .build();
  }

  private static EnvVar value(String name, String value) {
    return new EnvVarBuilder().withName(name).withValue(value).build();
  }

  private static EnvVar field(String name, String path) {
    return new EnvVarBuilder()
        .withName(name)
        .withNewValueFrom()
        .withNewFieldRef()
        .withFieldPath(path)
        .endFieldRef()
        .endValueFrom()
        .build();
  }

  private static int[] toArray(List<Integer> l) {
    return l.stream().mapToInt(Integer::intValue).toArray();
  }
}
