package dev.portolan.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.api.destination.DestinationGrpc;
import dev.portolan.api.destination.DestinationProfile;
import dev.portolan.api.destination.GetDestination;
import dev.portolan.api.destination.Update;
import dev.portolan.api.destination.WeightedAddr;
import dev.portolan.policy.grpc.GrpcServer;
import dev.portolan.policy.index.Index;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.resolve.ClientClass;
import dev.portolan.policy.resolve.ClientContext;
import dev.portolan.policy.resolve.ClusterView;
import dev.portolan.policy.resolve.OpaqueTransportPolicy;
import dev.portolan.policy.resolve.Resolver;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The per-class part of an answer reaches the wire: with a transport policy that withholds the
 * rewrite to one Pod from clients in namespace "walled" (standing in for the NetworkPolicy
 * evaluator), those clients get that endpoint without opaque_transport, everyone else gets it with,
 * and all of them share one topic. Over a real port, with real grpc-java clients.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {"portolan.grpc.port=0"})
class OverlayOverGrpcTest {
  static final ManifestDir DIR = new ManifestDir("portolan-overlay");
  static final ClientClass WALLED = new ClientClass("walled");

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("portolan.manifests.dir", () -> DIR.path().toString());
  }

  @TestConfiguration
  static class WalledPolicy {
    @Bean
    @Primary
    Resolver walledResolver(MeshSettings settings) {
      return new Resolver(
          settings,
          new OpaqueTransportPolicy() {
            @Override
            public ClientClass classify(ClientContext client) {
              return client.namespace().equals("walled") ? WALLED : ClientClass.EVERYONE;
            }

            @Override
            public boolean rewrite(
                ClusterView view, ClientClass client, PodInfo server, int port, int inbound) {
              return !(client.equals(WALLED) && server.name().endsWith("-0"));
            }
          });
    }
  }

  @Autowired GrpcServer grpc;
  @Autowired Index index;
  ManagedChannel channel;

  @AfterEach
  void close() {
    channel.shutdownNow();
  }

  @Test
  void a_class_gets_its_overlay_on_the_shared_answer() throws Exception {
    index.submit(Fleet.service("overlay", "db", 3, 48));
    index.flush().get();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
    var stub = DestinationGrpc.newStub(channel);
    List<WeightedAddr> walled = new CopyOnWriteArrayList<>();
    List<WeightedAddr> web = new CopyOnWriteArrayList<>();
    get(stub, "walled", walled);
    get(stub, "walled", new CopyOnWriteArrayList<>());
    get(stub, "web", web);
    await().until(() -> walled.size() == 3 && web.size() == 3);
    index.flush().get();
    assertThat(index.topicCount()).isEqualTo(1);

    String first = Fleet.ip(48, 0);
    for (WeightedAddr a : walled) {
      boolean isFirst = Translate.ip(a).equals(first);
      assertThat(a.getProtocolHint().hasOpaqueTransport()).isEqualTo(!isFirst);
    }
    assertThat(web).allSatisfy(a -> assertThat(a.getProtocolHint().hasOpaqueTransport()).isTrue());

    Recorder<DestinationProfile> walledProfile = new Recorder<>();
    stub.getProfile(
        GetDestination.newBuilder()
            .setPath(first + ":5432")
            .setContextToken(Fleet.token("walled", "w-1"))
            .build(),
        walledProfile);
    await().until(() -> walledProfile.last() != null);
    assertThat(walledProfile.last().getEndpoint().getProtocolHint().hasOpaque()).isTrue();
    assertThat(walledProfile.last().getEndpoint().getProtocolHint().hasOpaqueTransport()).isFalse();
  }

  private static void get(
      DestinationGrpc.DestinationStub stub, String ns, List<WeightedAddr> into) {
    StreamObserver<Update> r =
        new StreamObserver<>() {
          @Override
          public void onNext(Update u) {
            into.addAll(u.getAdd().getAddrsList());
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        };
    stub.get(
        GetDestination.newBuilder()
            .setPath("db.overlay.svc.cluster.local:5432")
            .setContextToken(Fleet.token(ns, ns + "-client"))
            .build(),
        r);
  }

  /** The dotted IPv4 of an address. */
  static final class Translate {
    static String ip(WeightedAddr a) {
      int v = a.getAddr().getIp().getIpv4();
      return (v >>> 24) + "." + ((v >>> 16) & 255) + "." + ((v >>> 8) & 255) + "." + (v & 255);
    }
  }
}
