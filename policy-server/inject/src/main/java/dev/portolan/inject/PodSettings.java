package dev.portolan.inject;

import dev.portolan.policy.model.Annotations;
import dev.portolan.policy.model.ParsedPorts;
import dev.portolan.policy.model.PortListParser;
import dev.portolan.policy.model.PortNames;
import dev.portolan.policy.model.PortRange;
import dev.portolan.policy.model.PortSet;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The settings of one Pod's proxy and proxy-init, each from the Pod's annotation, else its
 * Namespace's, else the install's, with a warning for every bad value (docs/injector.md).
 *
 * @param skipInbound the Pod's skip-inbound-ports, without the proxy's own ports
 * @param skipSubnets normalised CIDRs
 * @param inboundPorts the TCP ports of the Pod's containers, for {@code PORTOLAN_INBOUND_PORTS}
 */
record PodSettings(
    PortSet skipInbound,
    PortSet skipOutbound,
    List<String> skipSubnets,
    Map<String, String> requests,
    Map<String, String> limits,
    PortSet inboundPorts,
    List<String> warnings) {

  static final String CPU_REQUEST = "config.linkerd.io/proxy-cpu-request";
  static final String CPU_LIMIT = "config.linkerd.io/proxy-cpu-limit";
  static final String MEMORY_REQUEST = "config.linkerd.io/proxy-memory-request";
  static final String MEMORY_LIMIT = "config.linkerd.io/proxy-memory-limit";

  /** Where a value came from, for the warnings. */
  private record Source(String value, String where) {}

  static PodSettings of(
      Pod pod, String namespace, Map<String, String> nsAnnotations, InjectorConfig config) {
    Map<String, String> podAnnotations = annotations(pod);
    List<String> warnings = new ArrayList<>();
    PortNames names = portNames(pod);
    var layers = new Layers(podAnnotations, namespace, nsAnnotations);

    PortSet skipIn =
        ports(
            layers,
            Annotations.SKIP_INBOUND_PORTS,
            config.proxyInit().ignoreInboundPorts(),
            names,
            warnings);
    PortSet skipOut =
        ports(
            layers,
            Annotations.SKIP_OUTBOUND_PORTS,
            config.proxyInit().ignoreOutboundPorts(),
            names,
            warnings);
    List<String> subnets = subnets(layers, config.proxyInit().skipSubnets(), warnings);

    Map<String, String> requests = new LinkedHashMap<>(config.proxy().resources().requests());
    Map<String, String> limits = new LinkedHashMap<>(config.proxy().resources().limits());
    quantity(layers, CPU_REQUEST, "cpu", requests, warnings);
    quantity(layers, MEMORY_REQUEST, "memory", requests, warnings);
    quantity(layers, CPU_LIMIT, "cpu", limits, warnings);
    quantity(layers, MEMORY_LIMIT, "memory", limits, warnings);
    for (String resource : List.of("cpu", "memory")) {
      String req = requests.get(resource);
      String lim = limits.get(resource);
      // The API server refuses a Pod whose request exceeds its limit: never let an annotation
      // do that. The limit is the firmer statement, so the request comes down to it.
      if (req != null
          && lim != null
          && Quantities.amount(req).compareTo(Quantities.amount(lim)) > 0) {
        warnings.add(
            "proxy "
                + resource
                + " request "
                + req
                + " is greater than its limit "
                + lim
                + ": the request is set to the limit");
        requests.put(resource, lim);
      }
    }
    return new PodSettings(
        skipIn, skipOut, subnets, requests, limits, containerPorts(pod), warnings);
  }

  /** Pod, then Namespace, then nothing: a present annotation decides, even an empty one. */
  private record Layers(Map<String, String> pod, String namespace, Map<String, String> ns) {
    @Nullable Source find(String key) {
      String v = pod.get(key);
      if (v != null) {
        return new Source(v, "annotation " + key);
      }
      v = ns.get(key);
      if (v != null) {
        return new Source(v, "namespace " + namespace + " annotation " + key);
      }
      return null;
    }

    /** Every present value, the Pod's first. */
    List<Source> all(String key) {
      List<Source> out = new ArrayList<>(2);
      if (pod.containsKey(key)) {
        out.add(new Source(pod.get(key), "annotation " + key));
      }
      if (ns.containsKey(key)) {
        out.add(new Source(ns.get(key), "namespace " + namespace + " annotation " + key));
      }
      return out;
    }
  }

  private static PortSet ports(
      Layers layers, String key, String install, PortNames names, List<String> warnings) {
    Source s = layers.find(key);
    if (s == null) {
      // Checked at start (InjectorConfig.problems): no name resolves there and nothing is bad.
      return PortListParser.parse(install).ports();
    }
    ParsedPorts p = PortListParser.parse(s.value(), names);
    p.invalid().forEach(t -> warnings.add(s.where() + ": " + t + " (ignored)"));
    return p.ports();
  }

  private static List<String> subnets(Layers layers, String install, List<String> warnings) {
    Source s = layers.find(Annotations.SKIP_SUBNETS);
    if (s == null) {
      return Subnets.parse(install).valid();
    }
    Subnets.Parsed p = Subnets.parse(s.value());
    p.invalid().forEach(t -> warnings.add(s.where() + ": " + t + " (ignored)"));
    return p.valid();
  }

  /**
   * A bad quantity has no good part to keep, so unlike a port list it does not stop the search: the
   * Namespace's value, or the install's, stands in for it.
   */
  private static void quantity(
      Layers layers, String key, String resource, Map<String, String> into, List<String> warnings) {
    for (Source s : layers.all(key)) {
      Optional<String> why = Quantities.problem(s.value());
      if (why.isEmpty()) {
        into.put(resource, s.value().strip());
        return;
      }
      warnings.add(s.where() + ": '" + s.value() + "' " + why.get() + " (ignored)");
    }
  }

  static Map<String, String> annotations(Pod pod) {
    var m = pod.getMetadata() == null ? null : pod.getMetadata().getAnnotations();
    return m == null ? Map.of() : m;
  }

  private static Stream<Container> allContainers(Pod pod) {
    if (pod.getSpec() == null) {
      return Stream.empty();
    }
    return Stream.concat(
        list(pod.getSpec().getContainers()).stream(),
        list(pod.getSpec().getInitContainers()).stream());
  }

  /** Port names resolve against the Pod's TCP container and init-container ports. */
  private static PortNames portNames(Pod pod) {
    Map<String, List<PortRange>> byName = new LinkedHashMap<>();
    allContainers(pod)
        .flatMap(c -> list(c.getPorts()).stream())
        .filter(p -> p.getName() != null && isTcp(p.getProtocol()) && p.getContainerPort() != null)
        .forEach(p ->
            byName
                .computeIfAbsent(p.getName(), n -> new ArrayList<>())
                .add(PortRange.of(p.getContainerPort())));
    return name -> {
      List<PortRange> r = byName.get(name);
      return r == null ? PortSet.EMPTY : PortSet.of(r);
    };
  }

  private static PortSet containerPorts(Pod pod) {
    if (pod.getSpec() == null) {
      return PortSet.EMPTY;
    }
    List<PortRange> out = new ArrayList<>();
    for (Container c : list(pod.getSpec().getContainers())) {
      for (var p : list(c.getPorts())) {
        Integer port = p.getContainerPort();
        if (port != null && port >= 1 && port <= 65535 && isTcp(p.getProtocol())) {
          out.add(PortRange.of(port));
        }
      }
    }
    return PortSet.of(out);
  }

  private static boolean isTcp(@Nullable String protocol) {
    return protocol == null || protocol.isEmpty() || protocol.equalsIgnoreCase("TCP");
  }

  static <T> List<T> list(@Nullable List<T> l) {
    return l == null ? List.of() : l;
  }
}
