package dev.portolan.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.api.destination.DestinationGrpc;
import dev.portolan.api.destination.GetDestination;
import dev.portolan.api.inbound.InboundServerPoliciesGrpc;
import dev.portolan.api.inbound.PortSpec;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * What proxies hold open against one server: WatchPort and Get streams plus a gRPC health watch, on
 * one connection, and what the clients saw in the order they saw it ({@link #seen()}).
 */
public final class DrainClients implements AutoCloseable {
  /** The status a drained stream ends with: one that makes a proxy reconnect elsewhere. */
  public static final String DRAIN_DESCRIPTION = "server shutting down, reconnect";

  private final ManagedChannel channel;
  private final List<String> seen = new CopyOnWriteArrayList<>();
  private final List<Stream> streams = new ArrayList<>();

  /**
   * A manifests directory with namespace web, Pods web-0..web-{pods-1} (port 8080), Service web.
   */
  public static ManifestDir manifests(String prefix, int pods) {
    List<String> docs = new ArrayList<>();
    docs.add(Yaml.namespace("web", null));
    for (int i = 0; i < pods; i++) {
      docs.add(Yaml.pod("web", "web-" + i, "web", "10.42.9." + (i + 1), "http", 8080));
    }
    docs.add(Yaml.service("web", "web", "web", "10.96.9.1", 80, "8080"));
    return new ManifestDir(prefix).write("web.yaml", Yaml.docs(docs.toArray(String[]::new)));
  }

  public DrainClients(int grpcPort) {
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
  }

  /** Opens {@code pods} WatchPort streams (web:web-N, port 8080) and two Get streams. */
  public DrainClients open(int pods) {
    var inbound = InboundServerPoliciesGrpc.newStub(channel);
    for (int i = 0; i < pods; i++) {
      Stream s = new Stream("watch web-" + i);
      streams.add(s);
      inbound.watchPort(
          PortSpec.newBuilder().setWorkload("web:web-" + i).setPort(8080).build(), s.observer());
    }
    var destination = DestinationGrpc.newStub(channel);
    for (int i = 0; i < 2; i++) {
      Stream s = new Stream("get web #" + i);
      streams.add(s);
      destination.get(
          GetDestination.newBuilder()
              .setScheme("k8s")
              .setPath("web.web.svc.cluster.local:80")
              .build(),
          s.observer());
    }
    HealthGrpc.newStub(channel)
        .watch(
            HealthCheckRequest.getDefaultInstance(),
            new StreamObserver<HealthCheckResponse>() {
              @Override
              public void onNext(HealthCheckResponse r) {
                seen.add("health " + r.getStatus());
              }

              @Override
              public void onError(Throwable t) {
                seen.add("health watch ended " + Status.fromThrowable(t).getCode());
              }

              @Override
              public void onCompleted() {
                seen.add("health watch completed");
              }
            });
    await().until(() -> seen.contains("health SERVING"));
    await().until(() -> streams.stream().allMatch(s -> s.messages > 0));
    return this;
  }

  public List<String> seen() {
    return List.copyOf(seen);
  }

  /** Names of the streams that have ended (error or completion). */
  public List<String> ended() {
    return streams.stream().filter(s -> s.ended).map(s -> s.name).toList();
  }

  public boolean allEnded() {
    return streams.stream().allMatch(s -> s.ended);
  }

  /**
   * Every stream ended UNAVAILABLE with the drain's description (never CANCELLED, never a clean
   * completion a proxy would not retry), and only after health had gone NOT_SERVING.
   */
  public void assertDrainedAfterNotServing() {
    for (Stream s : streams) {
      assertThat(s.status).as(s.name + " ended with").isNotNull();
      assertThat(s.status.getCode()).as(s.name + " " + s.status).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(s.status.getDescription()).as(s.name).isEqualTo(DRAIN_DESCRIPTION);
    }
    List<String> order = seen();
    int notServing = order.indexOf("health NOT_SERVING");
    int firstEnd = -1;
    for (int i = 0; i < order.size(); i++) {
      if (order.get(i).startsWith("ended ")) {
        firstEnd = i;
        break;
      }
    }
    assertThat(notServing).as("health went NOT_SERVING: " + order).isGreaterThanOrEqualTo(0);
    assertThat(notServing)
        .as("NOT_SERVING before the first stream ended: " + order)
        .isLessThan(firstEnd);
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow();
    channel.awaitTermination(5, TimeUnit.SECONDS);
  }

  private final class Stream {
    final String name;
    volatile int messages;
    volatile boolean ended;
    volatile Status status;

    Stream(String name) {
      this.name = name;
    }

    <M> StreamObserver<M> observer() {
      return new StreamObserver<>() {
        @Override
        public void onNext(M value) {
          messages++;
        }

        @Override
        public void onError(Throwable t) {
          status = Status.fromThrowable(t);
          seen.add("ended " + name + " " + status.getCode());
          ended = true;
        }

        @Override
        public void onCompleted() {
          status = Status.OK;
          seen.add("ended " + name + " OK");
          ended = true;
        }
      };
    }
  }
}
