package dev.portolan.policy.networkpolicy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.policy.ManifestDir;
import dev.portolan.policy.events.EventsEndpoint;
import dev.portolan.policy.events.WarningEvent;
import dev.portolan.policy.index.Index;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * With the manifests source the conflict becomes the same Warning Event it would be in a cluster,
 * listed on {@code /actuator/events}: once per policy generation (a changed list of clients does
 * not repeat it, editing the policy's spec does), next to the invalid-token Events.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {"portolan.grpc.port=0"})
class ConflictEventsInManifestsModeTest {
  static final ManifestDir DIR = new ManifestDir("portolan-netpol-events");

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("portolan.manifests.dir", () -> DIR.path().toString());
  }

  @Autowired Index index;
  @Autowired NetworkPolicyConflicts conflicts;
  @Autowired EventsEndpoint endpoint;

  List<WarningEvent> events(String reason) {
    return endpoint.events().get("events").stream().filter(e -> e.reason().equals(reason)).toList();
  }

  List<String> clients(String ns) throws InterruptedException {
    return conflicts.current(Duration.ofSeconds(10)).conflicts().stream()
        .filter(c -> c.policy().namespace().equals(ns))
        .flatMap(c -> c.clients().stream())
        .toList();
  }

  @Test
  void the_conflict_is_a_warning_event_on_the_policy_once_per_generation() throws Exception {
    String ns = "ev";
    DIR.write("ns.yaml", Manifests.namespace(ns))
        .write("redis.yaml", Manifests.pod(ns, "redis-0", "redis", "10.78.0.10"))
        .write("svc.yaml", Manifests.redisService(ns, "10.96.78.10"))
        .write("c0.yaml", Manifests.pod(ns, "client-0", "client", "10.78.0.20"))
        .write("policy.yaml", Manifests.redisPolicy(ns));

    await().until(() -> events("NetworkPolicyBlocksInboundPort").size() == 1);
    WarningEvent e = events("NetworkPolicyBlocksInboundPort").getFirst();
    assertThat(e.type()).isEqualTo("Warning");
    assertThat(e.namespace()).isEqualTo(ns);
    assertThat(e.involvedObject())
        .isEqualTo(
            new WarningEvent.InvolvedObject(
                "networking.k8s.io/v1", "NetworkPolicy", ns, "redis", null));
    assertThat(e.message()).contains(ns + "/redis ingress[0]", "4143", "6379", "1 meshed client ");
    assertThat(e.component()).isEqualTo("portolan-policy-server");
    assertThat(e.count()).isEqualTo(1);

    // Another client: the report's message changes, the policy does not; no second Event.
    DIR.write("c1.yaml", Manifests.pod(ns, "client-1", "client", "10.78.0.21"));
    await().until(() -> clients(ns).contains(ns + "/client-1"));
    // A fence: the Events are written in order on one thread, so once this later Event is
    // listed, one for the report above would be too.
    DIR.write(
        "bad.yaml",
        Manifests.pod(ns, "bad-0", "other", "10.78.0.30")
            .replace(
                "labels: {app: other,",
                "annotations: {config.linkerd.io/opaque-ports: \"99999\"}\n  labels: {app: other,"));
    await().until(() -> !events("InvalidPortToken").isEmpty());
    assertThat(events("InvalidPortToken").getFirst().involvedObject().name()).isEqualTo("bad-0");
    assertThat(events("NetworkPolicyBlocksInboundPort")).hasSize(1);

    // Editing the policy's spec is a new generation: a new Event, the old one stays. (A rule in
    // front moves the conflict to ingress[1]: the report is told again only when it changes.)
    DIR.write(
        "policy.yaml",
        Manifests.redisPolicy(ns)
            .replace(
                "  ingress:\n",
                "  ingress:\n    - from: [{podSelector: {matchLabels: {app: nobody}}}]\n"));
    await().until(() -> events("NetworkPolicyBlocksInboundPort").size() == 2);
    assertThat(events("NetworkPolicyBlocksInboundPort"))
        .allSatisfy(ev -> assertThat(ev.involvedObject().name()).isEqualTo("redis"));
    assertThat(events("NetworkPolicyBlocksInboundPort").get(1).message())
        .contains(ns + "/redis ingress[1]");
  }
}
