package dev.portolan.bench;

import dev.portolan.api.destination.DestinationGrpc;
import dev.portolan.api.destination.GetDestination;
import dev.portolan.api.destination.Update;
import dev.portolan.api.inbound.InboundServerPoliciesGrpc;
import dev.portolan.api.inbound.PortSpec;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.HashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.HdrHistogram.Histogram;

/**
 * Propagation through the cluster source: a Pod annotation edited through the Kubernetes API (the
 * fabric8 mock API server on loopback, CRUD mode) until an open WatchPort stream and an open Get
 * stream have both received the new answer.
 */
final class KubernetesPropagation {
  private KubernetesPropagation() {}

  static Pod pod(String opaquePorts) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("web-0")
        .withNamespace("bench")
        .addToLabels("app", "web")
        .addToLabels("linkerd.io/control-plane-ns", "portolan")
        .addToAnnotations("config.linkerd.io/opaque-ports", opaquePorts)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("web")
        .addNewPort()
        .withName("http")
        .withContainerPort(8080)
        .endPort()
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withPhase("Running")
        .withPodIP("10.42.0.1")
        .addNewCondition()
        .withType("Ready")
        .withStatus("True")
        .endCondition()
        .endStatus()
        .build();
  }

  static void run(int rounds) throws Exception {
    KubernetesMockServer mock =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(),
            false);
    mock.init();
    KubernetesClient client = mock.createClient();
    client
        .resource(new NamespaceBuilder().withNewMetadata().withName("bench").endMetadata().build())
        .create();
    client
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("web")
                .withNamespace("bench")
                .endMetadata()
                .withNewSpec()
                .withClusterIP("10.96.0.1")
                .addToSelector("app", "web")
                .addNewPort()
                .withName("http")
                .withPort(80)
                .withNewTargetPort("http")
                .endPort()
                .endSpec()
                .build())
        .create();
    client.resource(pod("")).create();
    System.setProperty("kubernetes.master", client.getConfiguration().getMasterUrl());
    System.setProperty("kubernetes.auth.tryKubeConfig", "false");
    System.setProperty("kubernetes.auth.tryServiceAccount", "false");
    System.setProperty("kubernetes.namespace", "default");
    try (BenchServer server = new BenchServer(Manifests.empty(), "--portolan.source=kubernetes")) {
      ManagedChannel ch =
          NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort).usePlaintext().build();
      LinkedBlockingQueue<Sample> watch = new LinkedBlockingQueue<>();
      LinkedBlockingQueue<Sample> get = new LinkedBlockingQueue<>();
      InboundServerPoliciesGrpc.newStub(ch)
          .watchPort(
              PortSpec.newBuilder().setWorkload("bench:web-0").setPort(8080).build(),
              observer(watch, s -> s.getProtocol().hasOpaque()));
      DestinationGrpc.newStub(ch)
          .get(
              GetDestination.newBuilder()
                  .setPath("web.bench.svc.cluster.local:80")
                  .setContextToken(Streams.token(0))
                  .build(),
              observer(
                  get,
                  (Update u) ->
                      u.hasAdd() && u.getAdd().getAddrs(0).getProtocolHint().hasOpaque()));
      take(watch);
      take(get);
      Histogram hWatch = Figures.histogram();
      Histogram hGet = Figures.histogram();
      for (int r = 0; r < PropagationBenchmark.WARMUP + rounds; r++) {
        boolean opaque = r % 2 == 0;
        long t0 = System.nanoTime();
        client.resource(pod(opaque ? "8080" : "")).update();
        long tWatch = awaitValue(watch, opaque);
        long tGet = awaitValue(get, opaque);
        if (r >= PropagationBenchmark.WARMUP) {
          hWatch.recordValue(tWatch - t0);
          hGet.recordValue(tGet - t0);
        }
      }
      Figures.latency("kubernetes source: Pod annotation edit -> WatchPort receipt", hWatch, 50);
      Figures.latency("kubernetes source: Pod annotation edit -> Get receipt", hGet, 50);
      ch.shutdownNow();
    } finally {
      client.close();
      mock.destroy();
    }
  }

  /** What a stream received and when. */
  private record Sample(boolean opaque, long nanos) {}

  private static <T> StreamObserver<T> observer(
      LinkedBlockingQueue<Sample> out, Predicate<T> opaque) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        out.add(new Sample(opaque.test(value), System.nanoTime()));
      }

      @Override
      public void onError(Throwable t) {
        if (!Status.fromThrowable(t).getCode().equals(Status.Code.UNAVAILABLE)) {
          System.err.println("stream failed: " + t);
        }
      }

      @Override
      public void onCompleted() {}
    };
  }

  private static Sample take(LinkedBlockingQueue<Sample> q) throws InterruptedException {
    Sample v = q.poll(30, TimeUnit.SECONDS);
    if (v == null) {
      throw new IllegalStateException("no message within 30 s");
    }
    return v;
  }

  /** The receipt time of the first message carrying {@code expected}. */
  private static long awaitValue(LinkedBlockingQueue<Sample> q, boolean expected)
      throws InterruptedException {
    Sample s;
    while ((s = take(q)).opaque() != expected) {
      // a message with the old value (none expected, but never miscount one)
    }
    return s.nanos();
  }
}
