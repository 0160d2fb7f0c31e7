package dev.portolan.policy.explain;

import dev.portolan.policy.index.Index;
import dev.portolan.policy.index.Snapshot;
import dev.portolan.policy.networkpolicy.NetworkPolicyConflicts;
import dev.portolan.policy.resolve.BadRequestException;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

/**
 * "Why is this port opaque?" for a Pod or Service: every port with its effective protocol and
 * provenance, at the index's current snapshot. Serves both the actuator endpoint and the
 * portolan.v1 Explain RPC.
 */
@Component
public final class Explainer {
  private final Index index;
  private final NetworkPolicyConflicts conflicts;

  public Explainer(Index index, NetworkPolicyConflicts conflicts) {
    this.index = index;
    this.conflicts = conflicts;
  }

  /**
   * The object and its ports ({@code port} 0: every port), or null when the object does not exist.
   *
   * @throws BadRequestException when {@code kind} is neither a Pod nor a Service
   */
  public @Nullable Explanation explain(String namespace, String kind, String name, int port) {
    Snapshot s = index.snapshot();
    var resolver = index.resolver();
    return switch (kind.toLowerCase(Locale.ROOT)) {
      case "pod", "pods" -> {
        var pod = s.pod(namespace, name);
        yield pod == null
            ? null
            : Explanation.of(
                pod.ref(), s.version(), resolver.explainPod(s, pod, port), conflicts.about(pod));
      }
      case "service", "services", "svc" -> {
        var svc = s.service(namespace, name);
        yield svc == null
            ? null
            : Explanation.of(svc.ref(), s.version(), resolver.explainService(s, svc, port));
      }
      default -> throw new BadRequestException("kind must be pod or service, got '" + kind + "'");
    };
  }

  /** What both adapters say when {@link #explain} found no such object. */
  public static String notFound(String namespace, String kind, String name) {
    return "no " + kind + " " + namespace + "/" + name;
  }
}
