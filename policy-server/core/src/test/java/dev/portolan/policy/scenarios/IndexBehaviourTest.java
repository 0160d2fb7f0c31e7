package dev.portolan.policy.scenarios;

import static dev.portolan.policy.scenarios.Cluster.namespace;
import static dev.portolan.policy.scenarios.Cluster.pod;
import static dev.portolan.policy.scenarios.Cluster.service;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.index.Change;
import dev.portolan.policy.index.EndpointsKey;
import dev.portolan.policy.index.InboundKey;
import dev.portolan.policy.index.Index;
import dev.portolan.policy.index.Subscription;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.model.PortSet;
import dev.portolan.policy.model.Resource;
import dev.portolan.policy.resolve.EndpointSet;
import dev.portolan.policy.resolve.Resolver;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The index: shared topics, change suppression, namespace-scoped recomputation. */
class IndexBehaviourTest {
  final Index index = new Index(new Resolver(MeshSettings.defaults()));

  @AfterEach
  void close() {
    index.close();
  }

  void apply(Resource... objects) throws Exception {
    for (Resource r : objects) {
      index.submit(new Change.Upsert(r));
    }
    index.flush().get();
  }

  @Test
  void subscribers_of_one_key_share_one_topic_and_the_last_close_removes_it() throws Exception {
    apply(service("s").selector("app", "a").port("p", 80, "80").build());
    EndpointsKey key = new EndpointsKey("ns", "s", 80);
    Subscription<EndpointSet> a = index.subscribe(key, () -> {});
    Subscription<EndpointSet> b = index.subscribe(key, () -> {});
    index.flush().get();
    assertThat(index.topicCount()).isEqualTo(1);
    assertThat(a.current().value().exists()).isTrue();
    a.close();
    index.flush().get();
    assertThat(index.topicCount()).isEqualTo(1);
    b.close();
    index.flush().get();
    assertThat(index.topicCount()).isZero();
  }

  @Test
  void changes_in_another_namespace_or_that_keep_the_value_wake_nobody() throws Exception {
    apply(pod("a-0").port("http", 8080).build());
    AtomicInteger wakeUps = new AtomicInteger();
    Subscription<InboundKey.Policy> sub =
        index.subscribe(new InboundKey("ns", "a-0", 8080), wakeUps::incrementAndGet);
    index.flush().get();
    assertThat(wakeUps).hasValue(1); // the first value

    apply(pod("b-0").ns("other").opaquePorts("8080").build()); // another namespace
    apply(pod("a-0").label("team", "x").port("http", 8080).build()); // same answer
    assertThat(wakeUps).hasValue(1);

    apply(namespace("ns", "8080")); // the answer changes
    assertThat(wakeUps).hasValue(2);
    assertThat(sub.current().value().protocol().isOpaque()).isTrue();
  }

  @Test
  void versions_increase_with_each_change_of_value() throws Exception {
    apply(pod("a-0").port("http", 8080).build());
    Subscription<InboundKey.Policy> sub =
        index.subscribe(new InboundKey("ns", "a-0", 8080), () -> {});
    index.flush().get();
    long v1 = sub.current().version();
    apply(pod("a-0").opaquePorts("8080").port("http", 8080).build());
    assertThat(sub.current().version()).isGreaterThan(v1);
  }

  @Test
  void unknown_pod_turns_into_a_policy_when_it_appears() throws Exception {
    Subscription<InboundKey.Policy> sub =
        index.subscribe(new InboundKey("ns", "late-0", 80), () -> {});
    index.flush().get();
    assertThat(sub.current().value().podExists()).isFalse();
    apply(pod("late-0").build());
    assertThat(sub.current().value().podExists()).isTrue();
  }

  @Test
  void large_ranges_stay_one_interval_through_the_index() throws Exception {
    apply(pod("a-0").opaquePorts("1-65535").build());
    var sub = index.subscribe(new InboundKey("ns", "a-0", 65535), () -> {});
    index.flush().get();
    assertThat(sub.current().value().protocol().isOpaque()).isTrue();
    assertThat(dev.portolan.policy.model.PortListParser.parse("1-65535").ports())
        .isEqualTo(
            PortSet.of(java.util.List.of(new dev.portolan.policy.model.PortRange(1, 65535))));
  }
}
