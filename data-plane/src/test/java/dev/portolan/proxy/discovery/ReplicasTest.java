package dev.portolan.proxy.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** {@code PORTOLAN_POLICY_SERVER}: one address stays a gRPC target, a list goes to the resolver. */
class ReplicasTest {
  @Test
  void one_address_is_kept_and_a_list_uses_the_replicas_resolver() {
    assertThat(Replicas.target("10.0.0.5:8086")).isEqualTo("10.0.0.5:8086");
    assertThat(Replicas.target("policy.linkerd:8086")).isEqualTo("policy.linkerd:8086");
    assertThat(Replicas.target("10.0.0.5:8086, 10.0.0.6:8086"))
        .isEqualTo("portolan-replicas:///10.0.0.5:8086,10.0.0.6:8086");
  }

  @Test
  void a_bad_entry_is_named() {
    assertThatThrownBy(() -> Replicas.target("10.0.0.5:8086,10.0.0.6"))
        .hasMessage("PORTOLAN_POLICY_SERVER: '10.0.0.6' is not host:port");
    assertThatThrownBy(() -> Replicas.target("10.0.0.5:8086,10.0.0.6:http"))
        .hasMessageContaining("'10.0.0.6:http' is not host:port");
  }
}
