package dev.portolan.policy.source.kubernetes;

import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionCondition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.util.List;

/**
 * Whether the API server serves the {@code Server} resource at the version the source reads.
 * Without the CRD the servers informer gets 404 on every list and retries forever, so start-up
 * would only end at the sync timeout with a message about reachability and RBAC; this check names
 * the CRD and the fix instead (docs/operations.md, "Readiness").
 *
 * <p>It asks with what the chart's RBAC already grants (a list of at most one Server) and reads the
 * CRD itself only to explain a 404. The chart grants nothing on CRDs, so that read usually gets 403
 * and the message then covers both causes a 404 can have.
 */
final class ServerCrdCheck {
  static final String CRD_NAME =
      KubernetesSource.SERVERS.getPlural() + "." + KubernetesSource.SERVERS.getGroup();
  private static final String VERSION = KubernetesSource.SERVERS.getVersion();
  private static final String FIX =
      " Install the chart's CRDs (helm upgrade --install portolan helm/portolan -n portolan"
          + " --set crds.install=true, the default), or, with crds.install=false, Linkerd's CRDs"
          + " at a version that serves "
          + VERSION
          + ". See docs/install.md.";

  private ServerCrdCheck() {}

  /** What the check found. */
  sealed interface Result {
    /** The API server lists Servers at the version the source reads. */
    record Served() implements Result {}

    /** Start-up must stop: {@code problem} names the CRD and what to do. */
    record Missing(String problem) implements Result {}

    /**
     * The API server could not tell (unreachable, RBAC on servers, an error): the informers' sync
     * timeout reports it, as for every other resource.
     */
    record Unknown(String reason) implements Result {}
  }

  static Result check(KubernetesClient client) {
    try {
      client
          .genericKubernetesResources(KubernetesSource.SERVERS)
          .inAnyNamespace()
          .list(new ListOptionsBuilder().withLimit(1L).build());
      return new Result.Served();
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
        return new Result.Missing(explainNotFound(client));
      }
      return new Result.Unknown(describe(e));
    } catch (RuntimeException e) {
      return new Result.Unknown(e.toString());
    }
  }

  /** Why listing Servers got 404, as far as this service account may read the CRD. */
  private static String explainNotFound(KubernetesClient client) {
    String notServed =
        "The API server does not serve "
            + CRD_NAME
            + " at "
            + VERSION
            + " (listing Servers answers 404)";
    CustomResourceDefinition crd;
    try {
      crd = client.apiextensions().v1().customResourceDefinitions().withName(CRD_NAME).get();
    } catch (KubernetesClientException e) {
      // Usually 403: the chart's ClusterRole grants nothing on CRDs, and needs nothing more.
      return notServed
          + ": the Server CRD is not installed, or is an older one without "
          + VERSION
          + " (kubectl get crd "
          + CRD_NAME
          + " tells which; this service account may not read CRDs: "
          + describe(e)
          + ")."
          + FIX;
    }
    if (crd == null) {
      return "The Server CRD " + CRD_NAME + " is not installed." + FIX;
    }
    List<String> served =
        crd.getSpec().getVersions().stream()
            .filter(v -> Boolean.TRUE.equals(v.getServed()))
            .map(CustomResourceDefinitionVersion::getName)
            .toList();
    if (!served.contains(VERSION)) {
      return "The Server CRD "
          + CRD_NAME
          + " is installed but serves "
          + served
          + ", not "
          + VERSION
          + ", the version Portolan reads (an older Linkerd's CRD)."
          + FIX;
    }
    // Served on paper, 404 in practice: created moments ago and not yet established. The restart
    // that follows this failure normally finds it served.
    return notServed
        + ", although the CRD is installed and lists "
        + VERSION
        + ": it is not established yet ("
        + established(crd)
        + "). If a restart does not clear this, read the CRD's status.conditions.";
  }

  private static String established(CustomResourceDefinition crd) {
    if (crd.getStatus() == null || crd.getStatus().getConditions() == null) {
      return "no status yet";
    }
    return crd.getStatus().getConditions().stream()
        .filter(c -> "Established".equals(c.getType()))
        .findFirst()
        .map(ServerCrdCheck::describe)
        .orElse("no Established condition");
  }

  private static String describe(CustomResourceDefinitionCondition c) {
    return "Established=" + c.getStatus() + (c.getMessage() == null ? "" : ": " + c.getMessage());
  }

  private static String describe(KubernetesClientException e) {
    String reason = e.getStatus() == null ? null : e.getStatus().getReason();
    return "HTTP " + e.getCode() + (reason == null ? "" : " " + reason);
  }
}
