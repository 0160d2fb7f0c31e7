package dev.portolan.policy.source.kubernetes;

import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Kubernetes RBAC as the API server evaluates it (additive rules, no deny), over the Roles and
 * bindings a mock API server holds: enough to tell whether the chart's ClusterRole covers every
 * call the policy-server makes. Users are service accounts, named as the API server names them.
 */
final class Rbac {
  private Rbac() {}

  /** One resource request, as the API server's authorizer sees it. */
  record Request(
      String user,
      String verb,
      String group,
      String resource,
      @Nullable String subresource,
      @Nullable String namespace,
      @Nullable String name) {

    /** For a 403's message, in the API server's words. */
    String describe() {
      return "User \""
          + user
          + "\" cannot "
          + verb
          + " resource \""
          + resource
          + (subresource == null ? "" : "/" + subresource)
          + "\" in API group \""
          + group
          + "\""
          + (namespace == null
              ? " at the cluster scope"
              : " in the namespace \"" + namespace + "\"");
    }
  }

  /** Everything RBAC reads, as stored. */
  record Policy(
      List<ClusterRole> clusterRoles,
      List<ClusterRoleBinding> clusterRoleBindings,
      List<Role> roles,
      List<RoleBinding> roleBindings) {

    boolean allows(Request r) {
      Stream<PolicyRule> everywhere =
          clusterRoleBindings.stream()
              .filter(b -> b.getSubjects().stream().anyMatch(s -> matches(s, r.user())))
              .flatMap(b -> rules(b.getRoleRef(), null));
      Stream<PolicyRule> inNamespace =
          roleBindings.stream()
              .filter(b -> Objects.equals(b.getMetadata().getNamespace(), r.namespace()))
              .filter(b -> b.getSubjects().stream().anyMatch(s -> matches(s, r.user())))
              .flatMap(b -> rules(b.getRoleRef(), b.getMetadata().getNamespace()));
      return Stream.concat(everywhere, inNamespace).anyMatch(rule -> covers(rule, r));
    }

    private Stream<PolicyRule> rules(RoleRef ref, @Nullable String namespace) {
      if ("ClusterRole".equals(ref.getKind())) {
        return clusterRoles.stream()
            .filter(c -> c.getMetadata().getName().equals(ref.getName()))
            .flatMap(c -> c.getRules().stream());
      }
      return roles.stream()
          .filter(c -> c.getMetadata().getName().equals(ref.getName()))
          .filter(c -> Objects.equals(c.getMetadata().getNamespace(), namespace))
          .flatMap(c -> c.getRules().stream());
    }
  }

  /** A service account user is {@code system:serviceaccount:NS:NAME}, in the groups below. */
  private static boolean matches(Subject s, String user) {
    String[] parts = user.split(":");
    boolean serviceAccount = parts.length == 4 && user.startsWith("system:serviceaccount:");
    return switch (s.getKind()) {
      case "ServiceAccount" ->
          serviceAccount && parts[2].equals(s.getNamespace()) && parts[3].equals(s.getName());
      case "User" -> user.equals(s.getName());
      case "Group" ->
          serviceAccount
              && List.of(
                      "system:authenticated",
                      "system:serviceaccounts",
                      "system:serviceaccounts:" + parts[2])
                  .contains(s.getName());
      default -> false;
    };
  }

  private static boolean covers(PolicyRule rule, Request r) {
    String resource = r.subresource() == null ? r.resource() : r.resource() + "/" + r.subresource();
    return anyOf(rule.getApiGroups(), r.group())
        && anyOf(rule.getResources(), resource)
        && anyOf(rule.getVerbs(), r.verb())
        && (rule.getResourceNames() == null
            || rule.getResourceNames().isEmpty()
            || (r.name() != null && rule.getResourceNames().contains(r.name())));
  }

  private static boolean anyOf(@Nullable List<String> allowed, String value) {
    return allowed != null && (allowed.contains("*") || allowed.contains(value));
  }
}
