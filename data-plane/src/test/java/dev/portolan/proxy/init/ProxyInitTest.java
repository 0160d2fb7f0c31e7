package dev.portolan.proxy.init;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portolan.policy.model.PortSet;
import dev.portolan.proxy.testbed.NetNs;
import dev.portolan.proxy.testbed.Sh;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProxyInitTest {
  @Test
  void default_script_redirects_both_ways_and_excludes_the_proxy_and_loopback() {
    String s = IptablesRules.script(ProxyInitConfig.defaults(), true, true);
    assertThat(s)
        .isEqualTo(
            """
            *nat
            :PROXY_INIT_REDIRECT - [0:0]
            :PROXY_INIT_OUTPUT - [0:0]
            -A PROXY_INIT_REDIRECT -p tcp -m multiport --dports 4190:4191 -m comment --comment "portolan/proxy-ports" -j RETURN
            -A PROXY_INIT_REDIRECT -p tcp -m comment --comment "portolan/redirect-inbound" -j REDIRECT --to-ports 4143
            -A PROXY_INIT_OUTPUT -m owner --uid-owner 2102 -m comment --comment "portolan/proxy-uid" -j RETURN
            -A PROXY_INIT_OUTPUT -o lo -m comment --comment "portolan/loopback" -j RETURN
            -A PROXY_INIT_OUTPUT -p tcp -m comment --comment "portolan/redirect-outbound" -j REDIRECT --to-ports 4140
            -A PREROUTING -m comment --comment "portolan/install-inbound" -j PROXY_INIT_REDIRECT
            -A OUTPUT -m comment --comment "portolan/install-outbound" -j PROXY_INIT_OUTPUT
            COMMIT
            """);
  }

  @Test
  void skip_lists_keep_ranges_and_respect_the_multiport_limit() {
    var c =
        ProxyInit.parse(
                new String[] {
                  "--skip-inbound-ports", "24224, 4000 - 4010",
                  "--skip-outbound-ports", "1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31",
                  "--skip-subnets", "10.0.0.0/8, fd00::/8"
                })
            .config();
    String v4 = IptablesRules.script(c, true, false);
    assertThat(v4)
        .contains("--dports 4000:4010,24224 -m comment --comment \"portolan/skip-inbound-ports\"");
    assertThat(v4)
        .contains("--dports 1,3,5,7,9,11,13,15,17,19,21,23,25,27,29 ")
        .contains("--dports 31 ");
    assertThat(v4).contains("-s 10.0.0.0/8").contains("-d 10.0.0.0/8").doesNotContain("fd00");
    assertThat(v4).doesNotContain("-A PREROUTING");
    assertThat(IptablesRules.script(c, false, false)).contains("-s fd00:0:0:0:0:0:0:0/8");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "--skip-inbound-ports | 80,abc,90 | token 2 'abc'",
        "--skip-outbound-ports | 70000 | '70000'",
        "--skip-subnets | 10.0.0.0/33 | '10.0.0.0/33'",
        "--skip-subnets | example.org/8 | not an IP address",
        "--inbound-port | 0 | out of range",
        "--proxy-uid | x | not a number",
      })
  void bad_values_name_the_token(String flag, String value, String message) {
    assertThatThrownBy(() -> ProxyInit.parse(new String[] {flag, value}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(flag)
        .hasMessageContaining(message);
  }

  @Test
  void rules_apply_inside_a_pod_namespace_and_reapplying_never_duplicates() throws Exception {
    Sh.assumeRootWith("ip", "iptables-restore", "iptables-save");
    try (NetNs pod = new NetNs("portolan-init")) {
      ProxyInitConfig c =
          new ProxyInitConfig(4143, 4140, 2102, PortSet.of(24224), PortSet.of(6379), List.of());
      ProxyInit.apply(c, pod.exec(), true);
      ProxyInit.apply(c, pod.exec(), true);
      ProxyInitConfig changed =
          new ProxyInitConfig(4143, 4140, 2102, PortSet.of(25000), PortSet.of(6379), List.of());
      ProxyInit.apply(changed, pod.exec(), true);

      String rules = pod.run("iptables", "-t", "nat", "-S");
      assertThat(count(rules, "-j PROXY_INIT_REDIRECT")).isEqualTo(1);
      assertThat(count(rules, "-j PROXY_INIT_OUTPUT")).isEqualTo(1);
      assertThat(count(rules, "REDIRECT --to-ports 4143")).isEqualTo(1);
      assertThat(rules).contains("25000").doesNotContain("24224");
      assertThat(rules).contains("--uid-owner 2102");
    }
  }

  private static int count(String text, String needle) {
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }
}
