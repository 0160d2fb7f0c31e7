package dev.portolan.policy.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.api.destination.DestinationGrpc;
import dev.portolan.api.destination.GetDestination;
import dev.portolan.api.destination.NoEndpoints;
import dev.portolan.api.destination.Update;
import dev.portolan.policy.Recorder;
import dev.portolan.policy.index.Change;
import dev.portolan.policy.index.ChangeSet;
import dev.portolan.policy.index.Index;
import dev.portolan.policy.index.Snapshot;
import dev.portolan.policy.index.TopicKey;
import dev.portolan.policy.index.Versioned;
import dev.portolan.policy.metrics.PortolanMetrics;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.resolve.ClientClass;
import dev.portolan.policy.resolve.Resolver;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * Any Throwable in a pump (an Error too) ends that stream with a status and is logged once; the
 * other streams of the connection carry on. A real server port and a real grpc-java client; the
 * pump is a test subclass whose translation fails on demand.
 */
@ExtendWith(OutputCaptureExtension.class)
class PumpFailureTest {
  final Index index = new Index(new Resolver(MeshSettings.defaults()));
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final PortolanMetrics metrics = new PortolanMetrics(registry);
  final ExecutorService drains = Executors.newVirtualThreadPerTaskExecutor();
  final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
  final Logger log = LoggerFactory.getLogger(PumpFailureTest.class);
  final Pumps pumps =
      new Pumps(
          drains,
          timers,
          metrics,
          LimitsProperties.defaults(),
          new RepeatedWarning(log, "streams closed for not reading", Duration.ofMinutes(1)),
          new RepeatedWarning(log, "streams failed", Duration.ofMinutes(1)));
  Server server;
  ManagedChannel channel;

  @AfterEach
  void close() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (server != null) {
      server.shutdownNow();
    }
    drains.shutdownNow();
    timers.shutdownNow();
    index.close();
  }

  @Test
  void an_error_thrown_in_one_pump_ends_only_that_stream_with_a_status(CapturedOutput output)
      throws Exception {
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(
                new DestinationGrpc.DestinationImplBase() {
                  @Override
                  public void get(GetDestination request, StreamObserver<Update> observer) {
                    var pump =
                        new VersionPump(
                            (ServerCallStreamObserver<Update>) observer,
                            request.getPath().equals("poisoned"));
                    pump.start(index, new VersionKey(), ClientClass.EVERYONE);
                  }
                })
            .build()
            .start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    var stub = DestinationGrpc.newStub(channel);
    Recorder<Update> poisoned = new Recorder<>();
    Recorder<Update> healthy = new Recorder<>();
    stub.get(GetDestination.newBuilder().setPath("poisoned").build(), poisoned);
    stub.get(GetDestination.newBuilder().setPath("healthy").build(), healthy);
    await().until(() -> poisoned.size() == 1 && healthy.size() == 1);

    change("a");
    await().until(() -> poisoned.error() != null);
    assertThat(poisoned.status().getCode()).isEqualTo(Status.Code.INTERNAL);
    await().until(() -> healthy.size() == 2);

    change("b");
    await().until(() -> healthy.size() == 3);
    assertThat(healthy.error()).isNull();
    // One log line (with its stack trace), and the stream counted as failed.
    assertThat(output.getAll().lines().filter(l -> l.contains("stream failed")).toList())
        .singleElement()
        .asString()
        .contains("poison-pill");
    assertThat(
            registry.get("portolan.grpc.closed").tag("reason", "internal-error").counter().count())
        .isEqualTo(1);
  }

  private void change(String ns) throws Exception {
    index.submit(new Change.Upsert(new NamespaceInfo(ns, Map.of(), Map.of())));
    index.flush().get();
  }

  /** Every batch is a new value: the snapshot's version. */
  record VersionKey() implements TopicKey<Long> {
    @Override
    public Long compute(Resolver resolver, Snapshot snapshot) {
      return snapshot.version();
    }

    @Override
    public boolean affectedBy(ChangeSet changes, Long last) {
      return true;
    }
  }

  /** Sends one message per value; a poisoned one throws an Error on its second value. */
  final class VersionPump extends StreamPump<Long, Update> {
    private final boolean poisoned;
    private long sent = -1;

    VersionPump(ServerCallStreamObserver<Update> call, boolean poisoned) {
      super("test", call, pumps);
      this.poisoned = poisoned;
    }

    @Override
    Update next(Versioned<Long> v) {
      if (v.value() == sent) {
        return null;
      }
      if (poisoned && sent != -1) {
        throw new AssertionError("poison-pill");
      }
      sent = v.value();
      return Update.newBuilder().setNoEndpoints(NoEndpoints.newBuilder().setExists(true)).build();
    }
  }
}
