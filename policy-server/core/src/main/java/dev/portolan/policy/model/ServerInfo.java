package dev.portolan.policy.model;

import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A {@code policy.linkerd.io} Server (v1beta1..v1beta3).
 *
 * @param port the port as written: a number or a container port name
 * @param proxyProtocol as written; null or "unknown" mean Detect
 * @param created creationTimestamp; null sorts last
 * @param annotations the Server's annotations (Portolan reads {@link Annotations#DETECT_TIMEOUT})
 */
public record ServerInfo(
    String namespace,
    String name,
    LabelSelector podSelector,
    String port,
    @Nullable String proxyProtocol,
    @Nullable Instant created,
    Map<String, String> annotations)
    implements Resource {

  public ServerInfo {
    annotations = Map.copyOf(annotations);
  }

  /** A Server without annotations. */
  public ServerInfo(
      String namespace,
      String name,
      LabelSelector podSelector,
      String port,
      @Nullable String proxyProtocol,
      @Nullable Instant created) {
    this(namespace, name, podSelector, port, proxyProtocol, created, Map.of());
  }

  @Override
  public Kind kind() {
    return Kind.SERVER;
  }

  public ObjectRef ref() {
    return ObjectRef.server(namespace, name);
  }

  /** Whether this Server selects {@code port} of {@code pod} (same namespace checked by caller). */
  public boolean selects(PodInfo pod, int targetPort) {
    if (!podSelector.matches(pod.labels())) {
      return false;
    }
    int numeric = parsePort(port);
    if (numeric > 0) {
      return numeric == targetPort;
    }
    for (ContainerPort cp : pod.ports()) {
      if (port.equals(cp.name()) && cp.isTcp() && cp.port() == targetPort) {
        return true;
      }
    }
    return false;
  }

  private static int parsePort(String s) {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
