package dev.portolan.policy.scenarios;

import static dev.portolan.policy.scenarios.Cluster.pod;
import static dev.portolan.policy.scenarios.Cluster.service;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.index.Change;
import dev.portolan.policy.index.EndpointsKey;
import dev.portolan.policy.index.Index;
import dev.portolan.policy.index.ProfileKey;
import dev.portolan.policy.index.Subscription;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.Resource;
import dev.portolan.policy.resolve.Authority;
import dev.portolan.policy.resolve.ClientClass;
import dev.portolan.policy.resolve.ClientContext;
import dev.portolan.policy.resolve.ClusterView;
import dev.portolan.policy.resolve.Endpoint;
import dev.portolan.policy.resolve.EndpointSet;
import dev.portolan.policy.resolve.OpaqueTransportPolicy;
import dev.portolan.policy.resolve.Profile;
import dev.portolan.policy.resolve.Resolver;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Answers are shared per destination whoever asks; what a client class is told differently is an
 * overlay computed once per class and value (docs/design/networkpolicy.md). The transport policy
 * here stands in for the NetworkPolicy evaluator: clients in namespace "walled" may not rewrite to
 * Pods labelled {@code walled=true}.
 */
class ClientClassesTest {
  static final ClientClass WALLED = new ClientClass("walled");
  final AtomicInteger decisions = new AtomicInteger();
  final OpaqueTransportPolicy policy =
      new OpaqueTransportPolicy() {
        @Override
        public ClientClass classify(ClientContext client) {
          return client.namespace().equals("walled") ? WALLED : ClientClass.EVERYONE;
        }

        @Override
        public boolean rewrite(
            ClusterView view, ClientClass client, PodInfo server, int port, int inboundPort) {
          decisions.incrementAndGet();
          return !(client.equals(WALLED) && "true".equals(server.labels().get("walled")));
        }
      };
  final Index index = new Index(new Resolver(MeshSettings.defaults(), policy));

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

  PodInfo db(int i, boolean walled) {
    var b = pod("db-" + i).label("app", "db").ip("10.1.0." + (i + 1)).port("pg", 5432);
    return (walled ? b.label("walled", "true") : b).build();
  }

  @Test
  void classes_share_one_topic_and_one_value_and_differ_only_by_their_overlay() throws Exception {
    apply(service("db").selector("app", "db").port("pg", 5432, "5432").build());
    apply(db(0, true), db(1, false), db(2, false));
    EndpointsKey key = new EndpointsKey("ns", "db", 5432);
    Resolver r = index.resolver();
    Subscription<EndpointSet> everyone =
        index.subscribe(key, r.classify(new ClientContext("web", "", "web-0")), () -> {});
    Subscription<EndpointSet> walledA =
        index.subscribe(key, r.classify(new ClientContext("walled", "", "a-0")), () -> {});
    Subscription<EndpointSet> walledB =
        index.subscribe(key, r.classify(new ClientContext("walled", "", "b-0")), () -> {});
    index.flush().get();

    assertThat(index.topicCount()).isEqualTo(1);
    assertThat(walledA.current()).isSameAs(walledB.current());
    assertThat(walledA.current().value()).isSameAs(everyone.current().value());
    assertThat(everyone.current().overlay().isNone()).isTrue();
    assertThat(walledA.current().overlay().withheld()).containsExactly("10.1.0.1:5432");
    // Seen through its overlay, the walled class is not told to rewrite to the walled Pod only.
    EndpointSet seen = walledA.current().overlay().apply(walledA.current().value());
    assertThat(seen.endpoints())
        .extracting(Endpoint::hint)
        .containsExactly(
            new Endpoint.Hint(true, 0),
            new Endpoint.Hint(true, 4143),
            new Endpoint.Hint(true, 4143));
    // One decision per class and endpoint, not per subscriber.
    assertThat(decisions).hasValue(2 * 3);
  }

  @Test
  void a_change_of_one_class_decision_wakes_only_that_class() throws Exception {
    apply(service("db").selector("app", "db").port("pg", 5432, "5432").build());
    apply(db(0, false), db(1, false));
    EndpointsKey key = new EndpointsKey("ns", "db", 5432);
    AtomicInteger everyoneWoken = new AtomicInteger();
    AtomicInteger walledWoken = new AtomicInteger();
    Subscription<EndpointSet> everyone =
        index.subscribe(key, ClientClass.EVERYONE, everyoneWoken::incrementAndGet);
    Subscription<EndpointSet> walled = index.subscribe(key, WALLED, walledWoken::incrementAndGet);
    index.flush().get();
    EndpointSet before = everyone.current().value();
    long everyoneVersion = everyone.current().version();

    apply(db(1, true)); // the shared answer is the same; the walled class's is not

    assertThat(everyone.current().value()).isSameAs(before);
    assertThat(everyone.current().version()).isEqualTo(everyoneVersion);
    assertThat(everyoneWoken).hasValue(1);
    assertThat(walledWoken).hasValue(2);
    assertThat(walled.current().overlay().withheld()).containsExactly("10.1.0.2:5432");
    assertThat(walled.current().value()).isSameAs(before);
  }

  @Test
  void profiles_of_a_pod_ip_are_shared_and_overlaid_per_class() throws Exception {
    apply(db(0, true));
    ProfileKey key = new ProfileKey(Authority.parse("10.1.0.1:5432"), "cluster.local");
    Subscription<Profile> everyone = index.subscribe(key, ClientClass.EVERYONE, () -> {});
    Subscription<Profile> walled = index.subscribe(key, WALLED, () -> {});
    index.flush().get();

    assertThat(index.topicCount()).isEqualTo(1);
    assertThat(walled.current().value()).isSameAs(everyone.current().value());
    assertThat(everyone.current().value().endpoint().hint().opaqueTransportPort()).isEqualTo(4143);
    Profile seen = walled.current().overlay().apply(walled.current().value());
    assertThat(seen.endpoint().hint()).isEqualTo(new Endpoint.Hint(true, 0));
    // The resolver's per-client entry point agrees with the index.
    assertThat(
            index
                .resolver()
                .profile(index.snapshot(), key.authority(), new ClientContext("walled", "", "x"))
                .endpoint()
                .hint())
        .isEqualTo(new Endpoint.Hint(true, 0));
  }
}
