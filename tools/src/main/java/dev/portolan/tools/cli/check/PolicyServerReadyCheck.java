package dev.portolan.tools.cli.check;

import io.fabric8.kubernetes.api.model.apps.Deployment;

/**
 * At least one policy-server replica is ready. A replica turns ready only once every informer has
 * synced, so this also says the server could read the whole cluster.
 */
final class PolicyServerReadyCheck implements Check {
  @Override
  public String name() {
    return "the policy-server is ready";
  }

  @Override
  public CheckResult run(CheckContext ctx) {
    Install in = ctx.install();
    String ref = "Deployment " + in.namespace() + "/" + in.policyServer();
    Deployment d = ctx.deployment().orElse(null);
    if (d == null) {
      return CheckResult.fail(
          ref + " not found",
          "install the chart: helm install "
              + in.release()
              + " helm/portolan -n "
              + in.namespace()
              + " --create-namespace (or pass the release's --namespace/--release)");
    }
    int wanted = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
    int ready =
        d.getStatus() == null || d.getStatus().getReadyReplicas() == null
            ? 0
            : d.getStatus().getReadyReplicas();
    if (ready < 1) {
      return CheckResult.fail(
          ready + " of " + wanted + " replicas ready (" + ref + ")",
          "kubectl -n "
              + in.namespace()
              + " describe deploy/"
              + in.policyServer()
              + " and kubectl -n "
              + in.namespace()
              + " logs deploy/"
              + in.policyServer()
              + ": a replica becomes ready once every informer has synced, and start-up names"
              + " the resource it could not list (RBAC, the Server CRD, the API server)");
    }
    return CheckResult.ok(ready + " of " + wanted + " replicas ready");
  }
}
