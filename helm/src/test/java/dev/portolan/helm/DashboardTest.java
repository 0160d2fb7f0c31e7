package dev.portolan.helm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The Grafana dashboard asks only for metrics the code exports: a renamed meter breaks this test,
 * not a panel nobody looks at until an incident.
 */
class DashboardTest {
  private static final Path REPO = Chart.DIR.getParent().getParent();
  // A PromQL metric name: an identifier not followed by "(" (a function) and not a label or
  // keyword; good enough for the dashboard's own queries.
  private static final Pattern METRIC = Pattern.compile("\\b([a-z_][a-z0-9_]*)\\b(?!\\s*\\()");
  private static final Set<String> PROMQL_WORDS =
      Set.of(
          "by",
          "without",
          "sum",
          "max",
          "min",
          "rate",
          "le",
          "api",
          "resource",
          "result",
          "kind",
          "direction",
          "application",
          "portolan",
          "server",
          "rate_interval");

  /**
   * Meters whose code lands on another branch at the same time as this dashboard: the NetworkPolicy
   * conflicts gauge ({@code Gauge.builder("portolan.networkpolicy.conflicts")}, the
   * NetworkPolicy-aware rewrite). Accepted whether or not that branch is merged yet, so the two can
   * merge in either order; the entry can go once both have.
   */
  private static final Set<String> PENDING = Set.of("portolan_networkpolicy_conflicts");

  @Test
  void every_query_names_a_metric_the_control_plane_or_the_proxy_exports() throws IOException {
    JsonNode dashboard =
        new ObjectMapper()
            .readTree(Files.readString(Chart.DIR.resolve("dashboards/portolan.json")));
    Set<String> exported = exportedMetrics();
    List<String> queried = new ArrayList<>();
    for (JsonNode panel : dashboard.get("panels")) {
      for (JsonNode target : panel.path("targets")) {
        queried.addAll(metricsIn(target.get("expr").asString()));
      }
    }

    assertThat(queried).isNotEmpty();
    assertThat(queried)
        .allSatisfy(m ->
            assertThat(exported.contains(m) || PENDING.contains(m))
                .as(m + " is exported")
                .isTrue());
  }

  @Test
  void the_networkpolicy_conflicts_panel_queries_the_conflicts_gauge() throws IOException {
    JsonNode dashboard =
        new ObjectMapper()
            .readTree(Files.readString(Chart.DIR.resolve("dashboards/portolan.json")));
    List<String> queried = new ArrayList<>();
    for (JsonNode panel : dashboard.get("panels")) {
      if (panel.path("title").asString().equals("NetworkPolicy conflicts")) {
        for (JsonNode target : panel.path("targets")) {
          queried.addAll(metricsIn(target.get("expr").asString()));
        }
      }
    }
    assertThat(queried).containsOnly("portolan_networkpolicy_conflicts");
  }

  @Test
  void the_dashboard_covers_subscribers_propagation_conflicts_and_detection() throws IOException {
    String json = Files.readString(Chart.DIR.resolve("dashboards/portolan.json"));
    assertThat(json)
        .contains(
            "portolan_subscribers",
            "portolan_propagation_latency_seconds_bucket",
            "portolan_networkpolicy_conflicts",
            "inbound_tcp_detect_results_total",
            "outbound_tcp_detect_results_total");
  }

  private static List<String> metricsIn(String expr) {
    String noStrings =
        expr.replaceAll("\"[^\"]*\"", "").replaceAll("\\{[^}]*}", "").replaceAll("\\[[^]]*]", "");
    List<String> out = new ArrayList<>();
    Matcher m = METRIC.matcher(noStrings.replaceAll("by \\([^)]*\\)", ""));
    while (m.find()) {
      String name = m.group(1);
      if (!PROMQL_WORDS.contains(name) && name.contains("_")) {
        out.add(name);
      }
    }
    return out;
  }

  /**
   * The names Prometheus sees: Micrometer meters of the policy-server (dots become underscores;
   * counters get _total, timers _seconds with _bucket, _sum and _count) and the proxy's families as
   * written.
   */
  private static Set<String> exportedMetrics() throws IOException {
    Set<String> out = new LinkedHashSet<>();
    Pattern micrometer =
        Pattern.compile(
            "(Counter|Gauge|Timer)\\.builder\\(\\s*\"(portolan\\.[a-z.]+)\"|registry\\.gauge\\(\\s*\"(portolan\\.[a-z.]+)\"");
    Pattern secondsGauge =
        Pattern.compile("\"(portolan\\.[a-z.]+)\"[^;]*?baseUnit\\(\"seconds\"\\)", Pattern.DOTALL);
    for (String src : sources(REPO.resolve("policy-server"))) {
      Matcher m = micrometer.matcher(src);
      while (m.find()) {
        String kind = m.group(1) == null ? "Gauge" : m.group(1);
        String base = (m.group(2) != null ? m.group(2) : m.group(3)).replace('.', '_');
        switch (kind) {
          case "Counter" -> out.add(base + "_total");
          case "Timer" -> {
            for (String s : List.of("_bucket", "_sum", "_count", "_max")) {
              out.add(base + "_seconds" + s);
            }
          }
          default -> out.add(base);
        }
      }
      Matcher g = secondsGauge.matcher(src);
      while (g.find()) {
        out.add(g.group(1).replace('.', '_') + "_seconds");
      }
    }
    Pattern family =
        Pattern.compile(
            "(?:counter|gauge|histogram)\\(\\s*(?:s\\.direction\\(\\) \\+ )?\"([a-z_]+)\"");
    for (String src : sources(REPO.resolve("data-plane"))) {
      Matcher m = family.matcher(src);
      while (m.find()) {
        String name = m.group(1);
        if (name.startsWith("_")) {
          out.add("inbound" + name);
          out.add("outbound" + name);
        } else {
          out.add(name);
        }
      }
    }
    return out;
  }

  private static List<String> sources(Path module) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(module)) {
      for (Path f :
          files
              .filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/"))
              .toList()) {
        out.add(Files.readString(f));
      }
    }
    return out;
  }
}
