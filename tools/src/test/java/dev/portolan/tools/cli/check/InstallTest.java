package dev.portolan.tools.cli.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The chart's naming (templates/_helpers.tpl) and RBAC rule matching, as tables. */
class InstallTest {
  @ParameterizedTest(name = "release {0} names its objects {1}")
  @CsvSource({
    "portolan, portolan",
    "portolan-prod, portolan-prod",
    "mesh, mesh-portolan",
    // cut to 40 characters, then one trailing dash removed
    "a-very-long-release-name-for-the-mesh-x, a-very-long-release-name-for-the-mesh-x",
    "a-very-long-release-name-for-the-mesh-xy, a-very-long-release-name-for-the-mesh-xy",
    "portolan-and-a-release-name-well-past-forty, portolan-and-a-release-name-well-past-fo",
  })
  void full_names_follow_the_chart(String release, String fullname) {
    Install in = new Install("ns", release);
    assertThat(in.fullname()).isEqualTo(fullname);
    assertThat(in.webhookHost()).isEqualTo(fullname + "-webhook.ns.svc");
  }

  @ParameterizedTest(name = "{0} {1}.{2} with {3} {4} {5}: {6}")
  @CsvSource({
    "list, pods, '', '', pods, 'get list watch', true",
    "watch, pods, '', '', pods, 'get list', false",
    "watch, pods, '', '*', '*', '*', true",
    "list, servers, policy.linkerd.io, '', servers, list, false",
    "list, servers, policy.linkerd.io, policy.linkerd.io, '*', list, true",
    "list, endpointslices, discovery.k8s.io, discovery.k8s.io, endpointslices, '*', true",
  })
  void rules_allow_by_group_resource_and_verb_with_wildcards(
      String verb,
      String resource,
      String group,
      String ruleGroup,
      String ruleResource,
      String ruleVerbs,
      boolean allowed) {
    PolicyRule rule =
        new PolicyRuleBuilder()
            .withApiGroups(ruleGroup)
            .withResources(ruleResource)
            .withVerbs(ruleVerbs.split(" "))
            .build();
    assertThat(RbacCheck.allows(List.of(rule), new RbacCheck.Source(group, resource), verb))
        .isEqualTo(allowed);
  }

  @org.junit.jupiter.api.Test
  void a_rule_limited_to_named_objects_does_not_allow_listing() {
    PolicyRule named =
        new PolicyRuleBuilder()
            .withApiGroups("")
            .withResources("pods")
            .withResourceNames("web-0")
            .withVerbs("list", "watch")
            .build();
    assertThat(RbacCheck.allows(List.of(named), new RbacCheck.Source("", "pods"), "list"))
        .isFalse();
  }
}
