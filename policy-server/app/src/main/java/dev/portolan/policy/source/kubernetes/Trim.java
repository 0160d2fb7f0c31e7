package dev.portolan.policy.source.kubernetes;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Service;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Trims objects before the informers cache them: no managedFields, no last-applied annotation, and
 * for Pods only the spec and status fields the rules read. A 10,000-Pod cluster then costs a
 * fraction of its full objects.
 */
final class Trim {
  private static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
  private static final List<String> PROXY_CONTAINERS = List.of("portolan-proxy", "linkerd-proxy");

  private Trim() {}

  @SuppressWarnings("unchecked")
  static <T extends HasMetadata> T trim(T obj) {
    return switch (obj) {
      case Pod p -> (T) pod(p);
      case Service s -> {
        s.setMetadata(meta(s.getMetadata()));
        s.setStatus(null);
        yield obj;
      }
      case Namespace n -> {
        n.setMetadata(meta(n.getMetadata()));
        n.setSpec(null);
        n.setStatus(null);
        yield obj;
      }
      case GenericKubernetesResource g -> {
        g.setMetadata(meta(g.getMetadata()));
        g.getAdditionalProperties().remove("status");
        yield obj;
      }
      default -> {
        obj.setMetadata(meta(obj.getMetadata()));
        yield obj;
      }
    };
  }

  static @Nullable ObjectMeta meta(@Nullable ObjectMeta m) {
    if (m == null) {
      return null;
    }
    Map<String, String> annotations = m.getAnnotations();
    if (annotations != null && annotations.containsKey(LAST_APPLIED)) {
      annotations = new HashMap<>(annotations);
      annotations.remove(LAST_APPLIED);
    }
    return new ObjectMetaBuilder()
        .withName(m.getName())
        .withNamespace(m.getNamespace())
        .withUid(m.getUid())
        .withResourceVersion(m.getResourceVersion())
        .withGeneration(m.getGeneration())
        .withCreationTimestamp(m.getCreationTimestamp())
        .withDeletionTimestamp(m.getDeletionTimestamp())
        .withLabels(m.getLabels())
        .withAnnotations(annotations)
        .withOwnerReferences(m.getOwnerReferences())
        .build();
  }

  private static Pod pod(Pod p) {
    PodBuilder b = new PodBuilder().withMetadata(meta(p.getMetadata()));
    var spec = p.getSpec();
    if (spec != null) {
      b.withNewSpec()
          .withServiceAccountName(spec.getServiceAccountName())
          .withNodeName(spec.getNodeName())
          .withHostNetwork(spec.getHostNetwork())
          .withContainers(containers(spec.getContainers()))
          .withInitContainers(containers(spec.getInitContainers()))
          .endSpec();
    }
    var status = p.getStatus();
    if (status != null) {
      b.withStatus(
          new PodStatusBuilder()
              .withPhase(status.getPhase())
              .withPodIP(status.getPodIP())
              .withPodIPs(status.getPodIPs())
              .withHostIP(status.getHostIP())
              .withConditions(
                  status.getConditions() == null
                      ? null
                      : status.getConditions().stream()
                          .filter(c -> "Ready".equals(c.getType()))
                          .toList())
              .build());
    }
    return b.build();
  }

  private static @Nullable List<Container> containers(@Nullable List<Container> cs) {
    if (cs == null) {
      return null;
    }
    return cs.stream()
        .map(c ->
            new ContainerBuilder()
                .withName(c.getName())
                .withPorts(c.getPorts())
                // HTTP probes become the probe authorizations: only their httpGet is kept.
                .withLivenessProbe(httpGetOnly(c.getLivenessProbe()))
                .withReadinessProbe(httpGetOnly(c.getReadinessProbe()))
                .withStartupProbe(httpGetOnly(c.getStartupProbe()))
                // Only the proxy's env is read (its inbound listen address).
                .withEnv(PROXY_CONTAINERS.contains(c.getName()) ? c.getEnv() : null)
                .build())
        .toList();
  }

  private static @Nullable Probe httpGetOnly(@Nullable Probe p) {
    if (p == null || p.getHttpGet() == null) {
      return null;
    }
    HTTPGetAction g = p.getHttpGet();
    return new ProbeBuilder()
        .withNewHttpGet()
        .withPath(g.getPath())
        .withPort(g.getPort())
        .withScheme(g.getScheme())
        .endHttpGet()
        .build();
  }
}
