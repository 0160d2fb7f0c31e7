package dev.portolan.policy.scenarios;

import static dev.portolan.policy.scenarios.Cluster.pod;
import static dev.portolan.policy.scenarios.Cluster.service;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.index.Change;
import dev.portolan.policy.index.EndpointsKey;
import dev.portolan.policy.index.Index;
import dev.portolan.policy.index.Subscription;
import dev.portolan.policy.model.LabelSelector;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.model.NetworkPolicyInfo;
import dev.portolan.policy.model.NetworkPolicyInfo.PolicyType;
import dev.portolan.policy.model.NetworkPolicyInfo.Port;
import dev.portolan.policy.model.NetworkPolicyInfo.Rule;
import dev.portolan.policy.model.PortRange;
import dev.portolan.policy.resolve.ClientContext;
import dev.portolan.policy.resolve.EndpointSet;
import dev.portolan.policy.resolve.NetworkPolicyTransport;
import dev.portolan.policy.resolve.Resolver;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * With a policy withholding the rewrite of every one of 1,000 endpoints, an extra subscriber of the
 * destination (its own Pod, same namespace and labels: one class of the policies) costs the index
 * at most 8 KiB: no copy of the endpoints, one shared overlay and value (docs/design/streams.md).
 * The gRPC stream's own cost is measured apart (SharedTopicsTest, bench big-destination).
 */
class NetworkPolicyHeapTest {
  static final int ENDPOINTS = 1_000;
  static final int EXTRA = 2_000;
  final Index index =
      new Index(new Resolver(MeshSettings.defaults(), new NetworkPolicyTransport()));

  @AfterEach
  void close() {
    index.close();
  }

  @Test
  void an_extra_subscriber_of_one_class_costs_at_most_8_kib() throws Exception {
    List<Change> setup = new ArrayList<>();
    setup.add(
        new Change.Upsert(service("db").selector("app", "db").port("pg", 5432, "5432").build()));
    for (int i = 0; i < ENDPOINTS; i++) {
      setup.add(
          new Change.Upsert(
              pod("db-" + i)
                  .label("app", "db")
                  .ip("10.2." + (i / 250) + "." + (i % 250 + 1))
                  .port("pg", 5432)
                  .opaquePorts("5432")
                  .build()));
    }
    for (int i = 0; i <= EXTRA; i++) {
      setup.add(
          new Change.Upsert(
              pod("client-" + i)
                  .label("app", "client")
                  .ip("10.3." + (i / 250) + "." + (i % 250 + 1))
                  .build()));
    }
    var from = new NetworkPolicyInfo.Peer.Pods(LabelSelector.of(Map.of("app", "client")), null);
    setup.add(
        new Change.Upsert(
            new NetworkPolicyInfo(
                "ns",
                "db",
                LabelSelector.of(Map.of("app", "db")),
                Set.of(PolicyType.INGRESS),
                List.of(
                    new Rule(List.of(from), List.of(new Port.Numbers("TCP", PortRange.of(5432))))),
                List.of())));
    index.submit(setup);
    index.flush().get();

    EndpointsKey key = new EndpointsKey("ns", "db", 5432);
    List<Subscription<EndpointSet>> subs = new ArrayList<>();
    subs.add(subscribe(key, 0));
    index.flush().get();
    assertThat(subs.getFirst().current().overlay().withheld()).hasSize(ENDPOINTS);

    long before = usedHeapAfterGc();
    for (int i = 1; i <= EXTRA; i++) {
      subs.add(subscribe(key, i));
    }
    index.flush().get();
    long perSubscriber = (usedHeapAfterGc() - before) / EXTRA;
    System.out.println("heap per extra subscriber with policies present: " + perSubscriber + " B");

    assertThat(perSubscriber).as("heap per extra subscriber, bytes").isLessThanOrEqualTo(8 * 1024);
    assertThat(index.topicCount()).isEqualTo(1);
    // Everyone of the class shares the first subscriber's value object.
    assertThat(subs).allSatisfy(s -> assertThat(s.current()).isSameAs(subs.getFirst().current()));
  }

  private Subscription<EndpointSet> subscribe(EndpointsKey key, int i) {
    return index.subscribe(
        key, index.resolver().classify(new ClientContext("ns", "", "client-" + i)), () -> {});
  }

  static long usedHeapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
