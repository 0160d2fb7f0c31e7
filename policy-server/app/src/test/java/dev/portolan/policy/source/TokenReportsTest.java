package dev.portolan.policy.source;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.model.Annotations;
import dev.portolan.policy.model.ContainerPort;
import dev.portolan.policy.model.PodInfo;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/** Invalid annotation tokens: one log line per object and set of problems, escaped and cut. */
@ExtendWith(OutputCaptureExtension.class)
class TokenReportsTest {
  @Test
  void many_invalid_tokens_of_one_object_give_one_escaped_line_naming_their_count(
      CapturedOutput output) {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    TokenReports reports = new TokenReports(registry);
    String marker = "FORGED-" + UUID.randomUUID();
    String tokens =
        IntStream.range(0, 2_000).mapToObj(i -> "bad" + i).collect(Collectors.joining(","))
            + ",x\n"
            + marker
            + " WARN forged "
            + "q".repeat(1_000);
    PodInfo pod =
        new PodInfo(
            "ns",
            "noisy-0",
            Map.of(),
            Map.of(Annotations.OPAQUE_PORTS, tokens),
            List.of(new ContainerPort("http", 8080, "TCP")),
            "sa",
            List.of("10.1.0.1"),
            null,
            null,
            "Running",
            true,
            true,
            null,
            null);

    reports.check(pod);
    reports.check(pod); // the same problems again: nothing new to say

    List<String> lines = output.getAll().lines().filter(l -> l.contains("noisy-0")).toList();
    assertThat(lines).hasSize(1);
    assertThat(lines.getFirst()).contains("2001").hasSizeLessThan(1_000);
    assertThat(output.getAll().lines()).noneMatch(l -> l.startsWith(marker));
    assertThat(registry.get("portolan.invalid.tokens.reported").counter().count()).isEqualTo(2_001);
  }
}
