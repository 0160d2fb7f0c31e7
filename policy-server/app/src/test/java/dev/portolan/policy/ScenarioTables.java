package dev.portolan.policy;

import static dev.portolan.policy.ScenarioYaml.docs;
import static dev.portolan.policy.ScenarioYaml.ns;
import static dev.portolan.policy.ScenarioYaml.pod;
import static dev.portolan.policy.ScenarioYaml.server;
import static dev.portolan.policy.ScenarioYaml.svc;

import java.util.List;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Scenarios of the rules in docs/design/sources-and-precedence.md as cluster objects and the answer
 * a proxy must get, run through each source by {@link StreamScenarios}.
 */
final class ScenarioTables {
  private ScenarioTables() {}

  private static String tcp(String name, int port) {
    return "{name: " + name + ", containerPort: " + port + "}";
  }

  /** id, objects, GetProfile path, expected opaque_protocol. */
  static List<Arguments> profiles() {
    return List.of(
        Arguments.of(
            "s1",
            docs(
                ns("s1", null),
                svc(
                    "s1",
                    "db",
                    "none",
                    "10.96.20.1",
                    "{name: m, port: 3306}",
                    "config.linkerd.io/opaque-ports: \"3306\"")),
            "db.s1.svc.cluster.local:3306",
            true),
        Arguments.of(
            "s2",
            docs(
                ns("s2", null),
                svc("s2", "web", "w", "10.96.20.2", "{name: h, port: 8080}", ""),
                pod("s2", "w", "10.42.20.2", tcp("h", 8080), "", true)),
            "web.s2.svc.cluster.local:8080",
            false),
        Arguments.of(
            "s3",
            docs(
                ns("s3", null),
                svc(
                    "s3",
                    "db",
                    "none",
                    "10.96.20.3",
                    "{name: m, port: 3306}",
                    "config.linkerd.io/opaque-ports: \"\"")),
            "db.s3.svc.cluster.local:3306",
            false),
        Arguments.of(
            "s4",
            docs(
                ns("s4", null),
                svc(
                    "s4",
                    "db",
                    "none",
                    "10.96.20.4",
                    "{name: m, port: 9090, targetPort: 3306}",
                    "")),
            "db.s4.svc.cluster.local:9090",
            true),
        Arguments.of(
            "s5",
            docs(
                ns("s5", null),
                svc("s5", "app", "a", "10.96.20.5", "{name: h, port: 80, targetPort: 8080}", ""),
                pod(
                    "s5",
                    "a",
                    "10.42.20.5",
                    tcp("h", 8080),
                    "config.linkerd.io/opaque-ports: \"8080\"",
                    true)),
            "app.s5.svc.cluster.local:80",
            true),
        Arguments.of(
            "s6",
            docs(
                ns("s6", null),
                svc(
                    "s6",
                    "web",
                    "none",
                    "10.96.20.6",
                    "{name: h, port: 80, appProtocol: http}",
                    "config.linkerd.io/opaque-ports: \"80\"")),
            "web.s6.svc.cluster.local:80",
            false),
        Arguments.of(
            "s7",
            docs(
                ns("s7", null),
                svc(
                    "s7",
                    "t",
                    "none",
                    "10.96.20.7",
                    "{name: t, port: 9443, appProtocol: linkerd.io/opaque}",
                    "")),
            "t.s7.svc.cluster.local:9443",
            true),
        Arguments.of(
            "s8",
            docs(
                ns("s8", null),
                svc(
                    "s8",
                    "x",
                    "none",
                    "10.96.20.8",
                    "{name: db, port: 5000}",
                    "config.linkerd.io/opaque-ports: db")),
            "x.s8.svc.cluster.local:5000",
            true),
        Arguments.of(
            "s10",
            docs(
                ns("s10", null),
                svc(
                    "s10",
                    "db",
                    "none",
                    "10.96.20.10",
                    "{name: m, port: 9090, targetPort: 3306}",
                    "")),
            "10.96.20.10:9090",
            true),
        Arguments.of("s11a", "", "203.0.113.77:3306", true),
        Arguments.of("s11b", "", "203.0.113.77:80", false),
        Arguments.of(
            "i1",
            docs(ns("i1", null), pod("i1", "p", "10.42.21.1", tcp("r", 6379), "", true)),
            "10.42.21.1:6379",
            true),
        Arguments.of(
            "i2",
            docs(ns("i2", null), pod("i2", "p", "10.42.21.2", tcp("h", 8080), "", true)),
            "10.42.21.2:8080",
            false),
        Arguments.of(
            "i3a",
            docs(
                ns("i3a", null),
                pod(
                    "i3a",
                    "p",
                    "10.42.21.3",
                    tcp("s", 2222),
                    "config.linkerd.io/opaque-ports: \"2222\"",
                    true)),
            "10.42.21.3:2222",
            true),
        Arguments.of(
            "i3b",
            docs(
                ns("i3b", null),
                pod(
                    "i3b",
                    "p",
                    "10.42.21.4",
                    tcp("r", 6379),
                    "config.linkerd.io/opaque-ports: \"2222\"",
                    true)),
            "10.42.21.4:6379",
            false),
        Arguments.of(
            "i4",
            docs(
                ns("i4", null),
                pod("i4", "p", "10.42.21.5", tcp("h", 80), "", true),
                server("i4", "srv", "p", "80", "opaque")),
            "10.42.21.5:80",
            true),
        Arguments.of(
            "i5",
            docs(
                ns("i5", null),
                pod(
                    "i5",
                    "p",
                    "10.42.21.6",
                    tcp("h", 80),
                    "config.linkerd.io/opaque-ports: \"80\"",
                    true),
                server("i5", "srv", "p", "80", "HTTP/1")),
            "10.42.21.6:80",
            false),
        Arguments.of(
            "i7",
            docs(
                ns("i7", null),
                ns("i7-other", null),
                pod("i7", "p", "10.42.21.7", tcp("h", 8080), "", true),
                server("i7-other", "srv", "p", "8080", "opaque")),
            "10.42.21.7:8080",
            false),
        Arguments.of(
            "i8",
            docs(
                ns("i8", null),
                pod("i8", "p", "10.42.21.8", tcp("http", 8080), "", true),
                server("i8", "srv", "p", "http", "opaque")),
            "10.42.21.8:8080",
            true),
        Arguments.of(
            "i9",
            docs(ns("i9", "8080"), pod("i9", "p", "10.42.21.9", tcp("h", 8080), "", true)),
            "10.42.21.9:8080",
            true),
        Arguments.of(
            "i10",
            docs(
                ns("i10", null),
                pod(
                    "i10",
                    "p",
                    "10.42.21.10",
                    tcp("m", 3306),
                    "config.linkerd.io/opaque-ports: \"\"",
                    true)),
            "10.42.21.10:3306",
            false),
        Arguments.of(
            "e4",
            docs(ns("e4", null), pod("e4", "p", "10.42.22.4", tcp("m", 3306), "", false)),
            "10.42.22.4:3306",
            true));
  }

  /** id, objects, Get path, expected hint: "opaque:4143", "opaque", "h2" or "none". */
  static List<Arguments> endpoints() {
    return List.of(
        Arguments.of(
            "e1",
            docs(
                ns("e1", null),
                svc("e1", "s", "p", "10.96.22.1", "{name: x, port: 4}", ""),
                pod(
                    "e1",
                    "p",
                    "10.42.22.1",
                    tcp("x", 4),
                    "config.linkerd.io/opaque-ports: \"4\"",
                    true)),
            "s.e1.svc.cluster.local:4",
            "opaque:4143"),
        Arguments.of(
            "e2",
            docs(
                ns("e2", null),
                svc("e2", "s", "p", "10.96.22.2", "{name: x, port: 8080}", ""),
                pod("e2", "p", "10.42.22.2", tcp("x", 8080), "", true)),
            "s.e2.svc.cluster.local:8080",
            "h2"),
        Arguments.of(
            "e3",
            docs(
                ns("e3", null),
                svc("e3", "s", "p", "10.96.22.3", "{name: x, port: 24224}", ""),
                pod(
                    "e3",
                    "p",
                    "10.42.22.3",
                    tcp("x", 24224),
                    "config.linkerd.io/skip-inbound-ports: \"24224\"",
                    true)),
            "s.e3.svc.cluster.local:24224",
            "none"),
        Arguments.of(
            "e4",
            docs(
                ns("e4g", null),
                svc("e4g", "s", "p", "10.96.22.4", "{name: x, port: 3306}", ""),
                pod("e4g", "p", "10.42.22.5", tcp("x", 3306), "", false)),
            "s.e4g.svc.cluster.local:3306",
            "none"));
  }
}
