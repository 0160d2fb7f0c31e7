package dev.portolan.policy.source.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class LogTextTest {
  static Stream<Arguments> escapes() {
    // Expected values are written as they print: one backslash is one character.
    return Stream.of(
        Arguments.of("a newline cannot start a forged line", "a\nINFO forged", "a\\nINFO forged"),
        Arguments.of("a carriage return and a tab", "a\rb\tc", "a\\rb\\tc"),
        Arguments.of("a terminal escape", "\u001b[31mred", "\\u001b[31mred"),
        Arguments.of("a bidi override", "abc\u202edef", "abc\\u202edef"),
        Arguments.of("a line separator", "a\u2028b", "a\\u2028b"),
        Arguments.of("a lone surrogate", "a\ud800b", "a\\ud800b"),
        Arguments.of("a backslash is doubled, so no escape can be faked", "a\\nb", "a\\\\nb"),
        Arguments.of("plain text and letters stay", "pod café 😀", "pod café 😀"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void escapes(String what, String input, String expected) {
    assertThat(LogText.of(input)).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource({"10, 0123456789, 0123456789", "10, 0123456789ab, 0123456789…(2 more chars)"})
  void cuts_long_text_and_says_how_much(int max, String input, String expected) {
    assertThat(LogText.of(input, max)).isEqualTo(expected);
  }
}
