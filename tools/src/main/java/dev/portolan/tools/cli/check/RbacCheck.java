package dev.portolan.tools.cli.check;

import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.List;

/**
 * The policy-server's ServiceAccount may list and watch every source its informers read, in all
 * namespaces (examples/rbac/policy-server-rbac.yaml, helm/portolan/templates/rbac.yaml).
 *
 * <p>Why the rules are read rather than asked: a SelfSubjectAccessReview can only ask about the
 * caller, and a SubjectAccessReview for {@code system:serviceaccount:NS:SA} is answered by the API
 * server's authorizers, which the fabric8 mock server used in the tests does not run (it stores the
 * review and returns it unanswered). Reading the ClusterRoleBindings that name the ServiceAccount
 * (or a group it belongs to) and evaluating their ClusterRoles works on both, and lets a failure
 * name the exact verb and resource that is missing. Only cluster-wide grants count: the informers
 * list across all namespaces, which a namespaced RoleBinding cannot allow. What this does not see
 * is an authorizer other than RBAC (a webhook authorizer); where that matters, {@code kubectl auth
 * can-i list pods --as system:serviceaccount:NS:SA} asks the real one.
 */
final class RbacCheck implements Check {
  /** What the informers read: API group, resource. */
  record Source(String group, String resource) {
    @Override
    public String toString() {
      return group.isEmpty() ? resource : resource + "." + group;
    }
  }

  static final List<Source> SOURCES =
      List.of(
          new Source("", "namespaces"),
          new Source("", "pods"),
          new Source("", "services"),
          new Source("discovery.k8s.io", "endpointslices"),
          new Source("policy.linkerd.io", "servers"),
          new Source("networking.k8s.io", "networkpolicies"));
  static final List<String> VERBS = List.of("list", "watch");

  @Override
  public String name() {
    return "RBAC lets the policy-server list and watch its sources";
  }

  @Override
  public CheckResult run(CheckContext ctx) {
    Install in = ctx.install();
    String sa = in.policyServer();
    String who = "ServiceAccount " + in.namespace() + "/" + sa;
    String restore =
        "restore the chart's ClusterRole and ClusterRoleBinding "
            + sa
            + ": "
            + in.helmUpgrade("")
            + " (or kubectl apply -f examples/rbac/policy-server-rbac.yaml); without them the"
            + " policy-server stops after policyServer.syncTimeout naming what it could not list";
    ServiceAccount account =
        ctx.client().serviceAccounts().inNamespace(in.namespace()).withName(sa).get();
    if (account == null) {
      return CheckResult.fail(who + " not found", restore);
    }
    List<ClusterRoleBinding> bindings;
    try {
      bindings = ctx.client().rbac().clusterRoleBindings().list().getItems();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 403) {
        return CheckResult.skipped(
            "you may not list ClusterRoleBindings; run check as a user who may, or ask the API"
                + " server: kubectl auth can-i list pods --as system:serviceaccount:"
                + in.namespace()
                + ":"
                + sa);
      }
      throw e;
    }
    List<PolicyRule> rules = new ArrayList<>();
    List<String> via = new ArrayList<>();
    for (ClusterRoleBinding b : bindings) {
      if (!bindsTo(b, in.namespace(), sa) || !"ClusterRole".equals(b.getRoleRef().getKind())) {
        continue;
      }
      String roleName = b.getRoleRef().getName();
      ClusterRole role = ctx.client().rbac().clusterRoles().withName(roleName).get();
      if (role == null) {
        via.add(b.getMetadata().getName() + " → missing ClusterRole " + roleName);
      } else {
        via.add(b.getMetadata().getName() + " → ClusterRole " + roleName);
        if (role.getRules() != null) {
          rules.addAll(role.getRules());
        }
      }
    }
    List<String> missing = new ArrayList<>();
    for (Source s : SOURCES) {
      List<String> denied = VERBS.stream().filter(v -> !allows(rules, s, v)).toList();
      if (!denied.isEmpty()) {
        missing.add(String.join("/", denied) + " " + s);
      }
    }
    if (!missing.isEmpty()) {
      String bound =
          via.isEmpty()
              ? "no ClusterRoleBinding names it"
              : "bound through " + String.join(", ", via);
      return CheckResult.fail(
          who + " may not " + String.join(", ", missing) + " (" + bound + ")", restore);
    }
    return CheckResult.ok(
        who
            + " may list and watch "
            + SOURCES.size()
            + " sources (through "
            + String.join(", ", via)
            + ")");
  }

  private static boolean bindsTo(ClusterRoleBinding b, String namespace, String sa) {
    if (b.getSubjects() == null) {
      return false;
    }
    for (Subject s : b.getSubjects()) {
      if ("ServiceAccount".equals(s.getKind())
          && sa.equals(s.getName())
          && namespace.equals(s.getNamespace())) {
        return true;
      }
      // The groups every ServiceAccount token carries.
      if ("Group".equals(s.getKind())
          && List.of(
                  "system:serviceaccounts",
                  "system:serviceaccounts:" + namespace,
                  "system:authenticated")
              .contains(s.getName())) {
        return true;
      }
    }
    return false;
  }

  /** Whether a rule allows the verb on every object of the resource (no resourceNames). */
  static boolean allows(List<PolicyRule> rules, Source s, String verb) {
    for (PolicyRule r : rules) {
      boolean names = r.getResourceNames() == null || r.getResourceNames().isEmpty();
      if (names
          && matches(r.getApiGroups(), s.group())
          && matches(r.getResources(), s.resource())
          && matches(r.getVerbs(), verb)) {
        return true;
      }
    }
    return false;
  }

  private static boolean matches(List<String> granted, String wanted) {
    return granted != null && (granted.contains(wanted) || granted.contains("*"));
  }
}
