package dev.portolan.tools.cli.check;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.VersionInfo;

/** The API server answers: every other check needs it, so a failure here skips them. */
final class ApiServerCheck implements Check {
  @Override
  public String name() {
    return "the Kubernetes API server answers";
  }

  @Override
  public CheckResult run(CheckContext ctx) {
    String url = String.valueOf(ctx.client().getMasterUrl());
    try {
      VersionInfo v = ctx.client().getKubernetesVersion();
      String version =
          v.getGitVersion() != null ? v.getGitVersion() : "v" + v.getMajor() + "." + v.getMinor();
      return CheckResult.ok("Kubernetes " + version + " at " + url);
    } catch (KubernetesClientException e) {
      return CheckResult.fail(
          "no answer from " + url + ": " + rootMessage(e),
          "check the kubeconfig (KUBECONFIG, kubectl config current-context) or pass"
              + " --context NAME; kubectl version should answer first");
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage();
    return m == null ? t.getClass().getSimpleName() : m;
  }
}
