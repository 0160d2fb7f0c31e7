package dev.portolan.policy.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The grammar of {@code config.portolan.io/detect-timeout}. */
class DetectTimeoutTest {

  @ParameterizedTest
  @CsvSource({
    "500ms, 500",
    "1ms, 1",
    "' 2s ', 2000",
    "10s, 10000",
    "3m, 180000",
    "60m, 3600000",
    "3600s, 3600000",
    "0007ms, 7",
  })
  void reads_a_whole_number_with_a_unit(String raw, long millis) {
    assertThat(DetectTimeout.parse(raw)).isEqualTo(Duration.ofMillis(millis));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "500",
        "ms",
        "1.5s",
        "-1s",
        "+1s",
        "1h",
        "1 s",
        "PT1S",
        "10S",
        "1s500ms",
        "1e3ms",
        "99999999999ms"
      })
  void refuses_what_is_not_the_grammar_and_says_how_to_write_it(String raw) {
    assertThatThrownBy(() -> DetectTimeout.parse(raw))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("whole number with unit ms, s or m");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0ms", "0s", "61m", "3601s", "3600001ms"})
  void refuses_values_outside_1ms_to_1h(String raw) {
    assertThatThrownBy(() -> DetectTimeout.parse(raw))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("from 1ms to 1h");
  }

  @ParameterizedTest
  @ValueSource(strings = {"1h", " nope "})
  void the_report_names_the_token_as_written_stripped(String raw) {
    InvalidToken t = DetectTimeout.invalid(raw, "why");
    assertThat(t.token()).isEqualTo(raw.strip());
    assertThat(t.position()).isEqualTo(1);
  }
}
