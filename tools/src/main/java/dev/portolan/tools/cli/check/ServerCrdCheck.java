package dev.portolan.tools.cli.check;

import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionCondition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import java.util.ArrayList;
import java.util.List;

/**
 * The Server CRD (helm/portolan/templates/crd-server.yaml) is installed, serves v1beta3 (the
 * version the policy-server watches) and v1beta1/v1beta2 (Linkerd manifests written against them),
 * and the API server lists {@code servers} under policy.linkerd.io/v1beta3. Without it the
 * policy-server's Server informer cannot sync and the server does not start.
 */
final class ServerCrdCheck implements Check {
  static final String CRD = "servers.policy.linkerd.io";
  static final String GROUP = "policy.linkerd.io";
  static final List<String> VERSIONS = List.of("v1beta3", "v1beta2", "v1beta1");
  static final String WATCHED = "v1beta3";

  @Override
  public String name() {
    return "the Server CRD " + CRD + " is installed and served";
  }

  @Override
  public CheckResult run(CheckContext ctx) {
    Install in = ctx.install();
    CustomResourceDefinition crd =
        ctx.client().apiextensions().v1().customResourceDefinitions().withName(CRD).get();
    if (crd == null) {
      return CheckResult.fail(
          "CustomResourceDefinition "
              + CRD
              + " not found: the policy-server cannot watch Server objects and does not start",
          "install it with the chart: "
              + in.helmUpgrade("--set crds.install=true")
              + " (or, to share Linkerd's, install the linkerd-crds chart)");
    }
    if (crd.getStatus() != null && crd.getStatus().getConditions() != null) {
      for (CustomResourceDefinitionCondition c : crd.getStatus().getConditions()) {
        if ("Established".equals(c.getType()) && "False".equals(c.getStatus())) {
          return CheckResult.fail(
              CRD + " is not established: " + c.getReason() + " " + c.getMessage(),
              "kubectl describe crd " + CRD + " says why; fix it and the API server serves it");
        }
      }
    }
    List<String> notServed = new ArrayList<>();
    String storage = "?";
    for (String v : VERSIONS) {
      CustomResourceDefinitionVersion found =
          crd.getSpec().getVersions().stream()
              .filter(x -> x.getName().equals(v))
              .findFirst()
              .orElse(null);
      if (found == null || !Boolean.TRUE.equals(found.getServed())) {
        notServed.add(v);
      } else if (Boolean.TRUE.equals(found.getStorage())) {
        storage = v;
      }
    }
    if (!notServed.isEmpty()) {
      return CheckResult.fail(
          CRD + " does not serve " + String.join(", ", notServed),
          "upgrade the CRD to the chart's: "
              + in.helmUpgrade("--set crds.install=true")
              + " (or upgrade linkerd-crds to a release that serves v1beta3)");
    }
    APIResourceList discovered = ctx.client().getApiResources(GROUP + "/" + WATCHED);
    boolean listed =
        discovered != null
            && discovered.getResources().stream()
                .map(APIResource::getName)
                .anyMatch("servers"::equals);
    if (!listed) {
      return CheckResult.fail(
          "the API server's discovery does not list servers under " + GROUP + "/" + WATCHED,
          "the CRD exists but is not served yet: wait for it to be established (kubectl wait"
              + " --for condition=established crd/"
              + CRD
              + ")");
    }
    return CheckResult.ok(String.join(", ", VERSIONS) + " served, " + storage + " stored");
  }
}
