package dev.portolan.proxy.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The enforcer on a real bed (pods without proxies, so only the packet filter decides): a policy
 * allowing only 6379 from the client drops a direct connection to 4143 (the client times out, it is
 * not refused), an edit re-applies the rules at once, and an egress policy is enforced on the
 * sending pod's veth.
 */
class NetworkPolicyEnforcerTest {
  static final String CLIENT = "10.244.77.20";
  static final String SERVER = "10.244.77.21";
  static final String OTHER = "10.244.77.22";

  static final String ONLY_6379 =
      """
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: server, namespace: bed}
      spec:
        podSelector: {matchLabels: {app: server}}
        policyTypes: [Ingress]
        ingress:
          - from: [{podSelector: {matchLabels: {app: client}}}]
            ports: [{port: 6379}]
      """;

  @Test
  void a_policy_allowing_only_6379_drops_a_direct_connect_to_4143() throws Exception {
    Sh.assumeRootWith("redis-server", "timeout", "bash");
    try (TestBed bed =
        new TestBed()
            .pod("client", CLIENT, false, "", "")
            .pod("server", SERVER, false, "", "{containerPort: 6379}")
            .pod("other", OTHER, false, "", "")
            .start()) {
      for (int port : new int[] {6379, 4143}) {
        bed.background(
                "server",
                "redis-server",
                "--port",
                Integer.toString(port),
                "--bind",
                "0.0.0.0",
                "--protected-mode",
                "no",
                "--save",
                "",
                "--appendonly",
                "no")
            .awaitContaining("Ready to accept connections");
      }
      NetworkPolicyEnforcer enforcer =
          new NetworkPolicyEnforcer(bed, List.of("client", "server", "other"));
      // No policy yet: everything connects.
      assertThat(connect(bed, "client", 4143)).isEqualTo(Outcome.CONNECTED);

      enforcer.apply("np-server.yaml", ONLY_6379);
      assertThat(connect(bed, "client", 6379)).as(enforcer.rules()).isEqualTo(Outcome.CONNECTED);
      assertThat(connect(bed, "client", 4143)).as(enforcer.rules()).isEqualTo(Outcome.TIMED_OUT);
      assertThat(connect(bed, "other", 6379)).as(enforcer.rules()).isEqualTo(Outcome.TIMED_OUT);
      assertThat(enforcer.dropped("server")).as("SYNs dropped on the server's veth").isPositive();
      assertThat(enforcer.accepted("server", 6379)).isPositive();
      // The server's replies and its own outbound connections are not isolated.
      List<String> out = new ArrayList<>(bed.pod("server").ns().exec());
      out.addAll(List.of("timeout", "5", "bash", "-c", "exec 3<>/dev/tcp/" + OTHER + "/1"));
      assertThat(Sh.tryRun(out).output())
          .as(enforcer.rules() + enforcer.counters())
          .contains("refused");

      // An edit, as kubectl apply: 4143 added to the rule, in force at once.
      enforcer.apply(
          "np-server.yaml", ONLY_6379.replace("[{port: 6379}]", "[{port: 6379}, {port: 4143}]"));
      assertThat(connect(bed, "client", 4143)).as(enforcer.rules()).isEqualTo(Outcome.CONNECTED);
      assertThat(enforcer.accepted("server", 4143)).isPositive();

      // The client's egress allows only 6379: 4143 is dropped on the client's side now.
      long before = enforcer.dropped("client");
      enforcer.apply(
          "np-client.yaml",
          """
          apiVersion: networking.k8s.io/v1
          kind: NetworkPolicy
          metadata: {name: client, namespace: bed}
          spec:
            podSelector: {matchLabels: {app: client}}
            policyTypes: [Egress]
            egress:
              - to: [{podSelector: {matchLabels: {app: server}}}]
                ports: [{port: 6379}]
          """);
      assertThat(connect(bed, "client", 6379)).as(enforcer.rules()).isEqualTo(Outcome.CONNECTED);
      assertThat(connect(bed, "client", 4143)).as(enforcer.rules()).isEqualTo(Outcome.TIMED_OUT);
      assertThat(enforcer.dropped("client")).isGreaterThan(before);
      System.out.println(enforcer.rules());
    }
  }

  enum Outcome {
    CONNECTED,
    REFUSED,
    TIMED_OUT
  }

  /** A bare TCP connect from a pod to the server, bounded by 2 s. */
  static Outcome connect(TestBed bed, String from, int port) {
    List<String> cmd = new ArrayList<>(bed.pod(from).ns().exec());
    cmd.addAll(List.of("timeout", "2", "bash", "-c", "exec 3<>/dev/tcp/" + SERVER + "/" + port));
    Sh.Result r = Sh.tryRun(cmd);
    return switch (r.exit()) {
      case 0 -> Outcome.CONNECTED;
      case 124 -> Outcome.TIMED_OUT;
      default -> Outcome.REFUSED;
    };
  }
}
