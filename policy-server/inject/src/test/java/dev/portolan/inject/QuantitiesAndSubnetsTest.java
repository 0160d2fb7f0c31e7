package dev.portolan.inject;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class QuantitiesAndSubnetsTest {
  @ParameterizedTest
  @CsvSource({
    "100m, 0.100",
    "1, 1",
    "0.5, 0.5",
    "128Mi, 134217728",
    "1Gi, 1073741824",
    "2k, 2000",
    "1e3, 1000",
    "+2, 2",
    ".5, 0.5"
  })
  void quantities_are_read_as_the_api_server_reads_them(String q, String amount) {
    assertThat(Quantities.problem(q)).isEmpty();
    assertThat(Quantities.amount(q)).isEqualByComparingTo(new BigDecimal(amount));
  }

  @ParameterizedTest
  @ValueSource(strings = {"lots", "1 Gi", "1GB", "Mi", "", "1.2.3", "-1", "1e999"})
  void anything_else_is_a_problem(String q) {
    assertThat(Quantities.problem(q)).isPresent();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "10.0.0.0/8|10.0.0.0/8|",
        "169.254.169.254|169.254.169.254/32|",
        "fd00::/8, 10.1.0.0/16|fd00:0:0:0:0:0:0:0/8,10.1.0.0/16|",
        "10.0.0.0/33|''|token 1 '10.0.0.0/33': prefix must be 0-32",
        "example.com|''|token 1 'example.com': not an IP address",
        "10.0.0.0/8,,1|10.0.0.0/8|token 3 '1': not an IP address",
        "10.0.0.0/x|''|token 1 '10.0.0.0/x': prefix 'x' is not a number"
      })
  void subnets_keep_good_tokens_and_name_bad_ones(String raw, String valid, String invalid) {
    Subnets.Parsed p = Subnets.parse(raw);
    assertThat(String.join(",", p.valid())).isEqualTo(valid);
    assertThat(p.invalid()).isEqualTo(invalid == null ? List.of() : List.of(invalid));
  }
}
