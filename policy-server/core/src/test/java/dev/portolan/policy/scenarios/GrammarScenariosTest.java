package dev.portolan.policy.scenarios;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.model.InvalidToken;
import dev.portolan.policy.model.ParsedPorts;
import dev.portolan.policy.model.PortListParser;
import dev.portolan.policy.model.PortRange;
import dev.portolan.policy.model.PortSet;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The port-list grammar: scenarios G1–G10 of docs/design/port-grammar.md, and properties. */
class GrammarScenariosTest {

  @ParameterizedTest(name = "G: \"{0}\" -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "25,443-447,3306   | 25,443-447,3306", // G1
        "3306, 665         | 665,3306", // G2
        "80,               | 80", // G3
        "'80,,'            | 80", // G3
        "' 4000 - 4002 '   | 4000-4002", // G4: we trim around the dash
        "1-65535           | 1-65535", // G9
        "4,1-2,2-3         | 1-4", // G10: merged
        "8080,8081,8082    | 8080-8082", // adjacent ports merge into one interval
      })
  void valid_lists_parse_to_merged_intervals(String raw, String expected) {
    ParsedPorts p = PortListParser.parse(raw);
    assertThat(p.invalid()).isEmpty();
    assertThat(p.ports()).hasToString(expected);
  }

  @ParameterizedTest(name = "G5: \"{0}\" is invalid ({1})")
  @CsvSource(
      delimiter = '|',
      value = {
        "0       | out of range",
        "65536   | out of range",
        "-1      | no sign",
        "+80     | no sign",
        "5-3     | greater than",
        "1-2-3   | exactly one '-'",
        "abc-def | unknown port name",
        "99999999999 | out of range",
        "80x     | not a number",
      })
  void each_invalid_token_is_dropped_alone_with_its_reason(String token, String reason) {
    ParsedPorts p = PortListParser.parse("22," + token + ",3306");

    assertThat(p.ports()).isEqualTo(PortSet.of(22, 3306));
    assertThat(p.invalid()).hasSize(1);
    InvalidToken t = p.invalid().getFirst();
    assertThat(t.position()).isEqualTo(2);
    assertThat(t.token()).isEqualTo(token);
    assertThat(t.reason()).contains(reason);
  }

  @Test
  void g6_a_name_resolves_against_the_object() {
    ParsedPorts p =
        PortListParser.parse("mysql", n -> n.equals("mysql") ? PortSet.of(3306) : PortSet.EMPTY);
    assertThat(p.ports()).isEqualTo(PortSet.of(3306));
    assertThat(p.invalid()).isEmpty();
  }

  @Test
  void g7_an_unknown_name_is_an_invalid_token() {
    ParsedPorts p = PortListParser.parse("mysql");
    assertThat(p.ports().isEmpty()).isTrue();
    assertThat(p.invalid()).extracting(InvalidToken::reason).containsExactly("unknown port name");
  }

  @Test
  void g8_present_and_empty_is_the_empty_set_without_errors() {
    ParsedPorts p = PortListParser.parse("");
    assertThat(p.ports().isEmpty()).isTrue();
    assertThat(p.invalid()).isEmpty();
  }

  @Test
  void g9_the_full_range_is_one_interval() {
    PortSet all = PortListParser.parse("1-65535").ports();
    assertThat(all.rangeCount()).isEqualTo(1);
    assertThat(all.contains(1)).isTrue();
    assertThat(all.contains(65535)).isTrue();
  }

  @Property
  void canonical_text_round_trips(
      @ForAll @Size(max = 20) List<@IntRange(min = 1, max = 65535) Integer> los) {
    List<PortRange> ranges = new ArrayList<>();
    for (int lo : los) {
      ranges.add(new PortRange(lo, Math.min(65535, lo + (lo % 7))));
    }
    PortSet set = PortSet.of(ranges);
    ParsedPorts again = PortListParser.parse(set.toString());
    assertThat(again.invalid()).isEmpty();
    assertThat(again.ports()).isEqualTo(set);
  }

  @Property
  void membership_equals_naive_expansion(
      @ForAll @Size(max = 12) List<@IntRange(min = 1, max = 300) Integer> los,
      @ForAll @IntRange(min = 1, max = 320) int probe) {
    TreeSet<Integer> naive = new TreeSet<>();
    StringBuilder raw = new StringBuilder();
    for (int lo : los) {
      int hi = lo + (lo % 5);
      for (int p = lo; p <= hi; p++) {
        naive.add(p);
      }
      raw.append(lo).append('-').append(hi).append(',');
    }
    PortSet set = PortListParser.parse(raw.toString()).ports();
    assertThat(set.contains(probe)).isEqualTo(naive.contains(probe));
    // Merged: no two intervals overlap or touch.
    List<PortRange> r = set.ranges();
    for (int i = 1; i < r.size(); i++) {
      assertThat(r.get(i).lo()).isGreaterThan(r.get(i - 1).hi() + 1);
    }
  }
}
