package dev.portolan.policy.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CidrTest {
  @ParameterizedTest(name = "{0} contains {1}: {2}")
  @CsvSource({
    "10.0.0.0/24, 10.0.0.0, true",
    "10.0.0.0/24, 10.0.0.255, true",
    "10.0.0.0/24, 10.0.1.0, false",
    "10.0.0.7/24, 10.0.0.1, true",
    "0.0.0.0/0, 203.0.113.1, true",
    "0.0.0.0/0, fd00::1, false",
    "10.0.0.5/32, 10.0.0.5, true",
    "10.0.0.5/32, 10.0.0.4, false",
    "fd00::/64, fd00::ffff:1, true",
    "fd00::/64, fd00:0:0:1::1, false",
    "fd00::/63, fd00:0:0:1::1, true",
    "fd00:1::/32, fd00:1:ffff::1, true",
    "::/0, 2001:db8::1, true",
    "::/0, 10.0.0.1, false",
    "2001:db8::1/128, 2001:db8::1, true",
    "2001:db8::1/128, 2001:db8::2, false",
    "2001:db8::/65, 2001:db8::8000:0:0:0, false",
    "2001:db8::/65, 2001:db8::7fff:0:0:0, true",
  })
  void contains(String cidr, String ip, boolean expected) {
    assertThat(Cidr.parse(cidr).contains(IpAddress.parse(ip))).isEqualTo(expected);
  }

  @Test
  void host_bits_are_cleared_and_text_round_trips() {
    assertThat(Cidr.parse("10.0.0.7/24").toString()).isEqualTo("10.0.0.0/24");
    assertThat(Cidr.parse("fd00::1/16")).isEqualTo(Cidr.parse("fd00::/16"));
    assertThat(IpAddress.parse("192.168.0.1").toString()).isEqualTo("192.168.0.1");
    assertThat(IpAddress.parse(IpAddress.parse("fd00::1:5").toString()))
        .isEqualTo(IpAddress.parse("fd00::1:5"));
  }

  @Test
  void bad_text_is_named_in_the_error() {
    assertThatThrownBy(() -> Cidr.parse("10.0.0.0"))
        .hasMessageContaining("\"10.0.0.0\"")
        .hasMessageContaining("no /prefix");
    assertThatThrownBy(() -> Cidr.parse("10.0.0.0/33")).hasMessageContaining("exceeds 32");
    assertThatThrownBy(() -> Cidr.parse("10.0.0.0/x")).hasMessageContaining("not a number");
    assertThatThrownBy(() -> Cidr.parse("example.com/8")).hasMessageContaining("example.com");
    assertThatThrownBy(() -> IpAddress.parse("10.0.0")).hasMessageContaining("four parts");
    assertThatThrownBy(() -> IpAddress.parse("10.0.0.256")).hasMessageContaining("exceeds 255");
    assertThatThrownBy(() -> IpAddress.parse("10.0.0.-1")).hasMessageContaining("\"-1\"");
    assertThatThrownBy(() -> IpAddress.parse("fd00::1%eth0")).hasMessageContaining("zone");
    assertThatThrownBy(() -> IpAddress.parse("fd00:::1")).hasMessageContaining("fd00:::1");
    assertThat(IpAddress.parse("::ffff:10.0.0.1")).isEqualTo(IpAddress.parse("10.0.0.1"));
  }

  @Test
  void an_except_outside_the_cidr_is_rejected() {
    Cidr c = Cidr.parse("10.0.0.0/16");
    assertThatThrownBy(() -> new NetworkPolicyInfo.IpBlock(c, List.of(Cidr.parse("10.1.0.0/24"))))
        .hasMessageContaining("10.1.0.0/24")
        .hasMessageContaining("strict subset");
    assertThatThrownBy(() -> new NetworkPolicyInfo.IpBlock(c, List.of(Cidr.parse("10.0.0.0/16"))))
        .hasMessageContaining("strict subset");
    assertThatThrownBy(() -> new NetworkPolicyInfo.IpBlock(c, List.of(Cidr.parse("fd00::/64"))))
        .hasMessageContaining("strict subset");
  }

  @Test
  void protocols_default_to_tcp_and_unknown_ones_are_rejected() {
    assertThat(new NetworkPolicyInfo.Port.All(null).protocol()).isEqualTo("TCP");
    assertThat(new NetworkPolicyInfo.Port.All("udp").protocol()).isEqualTo("UDP");
    assertThatThrownBy(() -> new NetworkPolicyInfo.Port.All("ICMP"))
        .hasMessageContaining("\"ICMP\"");
  }

  @Test
  void policy_types_default_as_the_api_server_does() {
    assertThat(NetworkPolicyInfo.defaultPolicyTypes(List.of()))
        .containsExactly(NetworkPolicyInfo.PolicyType.INGRESS);
    assertThat(NetworkPolicyInfo.defaultPolicyTypes(List.of(NetworkPolicyInfo.Rule.ALLOW_ALL)))
        .containsExactlyInAnyOrder(
            NetworkPolicyInfo.PolicyType.INGRESS, NetworkPolicyInfo.PolicyType.EGRESS);
    assertThatThrownBy(() -> NetworkPolicyInfo.PolicyType.parse("ingress"))
        .hasMessageContaining("\"ingress\"");
  }
}
