package dev.portolan.policy.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portolan.policy.resolve.BadRequestException;
import dev.portolan.policy.resolve.ClientContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ContextTokenTest {
  @Test
  void json_token_with_trailing_newline_names_namespace_and_node() {
    assertThat(ContextToken.parse("{\"ns\":\"ns-1\",\"nodeName\":\"node-1\"}\n"))
        .isEqualTo(new ClientContext("ns-1", "node-1", ""));
  }

  @Test
  void legacy_token_names_the_namespace() {
    assertThat(ContextToken.parse("ns:ns-2")).isEqualTo(new ClientContext("ns-2", "", ""));
  }

  @Test
  void empty_token_is_an_unknown_client_without_error() {
    assertThat(ContextToken.parse("")).isEqualTo(ClientContext.UNKNOWN);
  }

  @ParameterizedTest
  @ValueSource(strings = {"123fa-test", "{\"ns\":", "{\"nodeName\":\"n\"}", "ns:"})
  void unreadable_tokens_are_reported_as_null(String token) {
    assertThat(ContextToken.parse(token)).isNull();
  }

  @Test
  void workload_accepts_json_and_legacy_forms() {
    assertThat(Workload.parse("ns:pod")).isEqualTo(new Workload("ns", "pod"));
    assertThat(Workload.parse("{\"ns\":\"a\",\"pod\":\"b\"}")).isEqualTo(new Workload("a", "b"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"{\"ns\":\"a\",\"nonsense\":\"b\"}", "{\"ns\":\"a\"}", "nopod", "a:b:c", "{", ""})
  void workload_rejects_anything_else_with_a_message(String raw) {
    assertThatThrownBy(() -> Workload.parse(raw))
        .isInstanceOf(BadRequestException.class)
        .hasMessageContaining("workload");
  }
}
