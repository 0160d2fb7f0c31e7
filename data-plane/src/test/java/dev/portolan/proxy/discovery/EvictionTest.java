package dev.portolan.proxy.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.api.destination.DestinationGrpc;
import dev.portolan.api.destination.DestinationProfile;
import dev.portolan.api.destination.GetDestination;
import dev.portolan.proxy.discovery.Views.ProfileView;
import dev.portolan.proxy.metrics.Metrics;
import io.grpc.Context;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultPromise;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Destination state is bounded (docs/proxy.md, "Eviction and caps"): a watch lives while a
 * connection uses it and an idle timeout after, over real gRPC to a stand-in Destination service
 * that records which streams are open.
 */
class EvictionTest {
  private final Set<String> open = ConcurrentHashMap.newKeySet();
  private Server server;
  private EventLoopGroup loop;
  private Discovery discovery;
  private final Metrics metrics = new Metrics();

  @BeforeEach
  void start() throws Exception {
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .addService(
                new DestinationGrpc.DestinationImplBase() {
                  @Override
                  public void getProfile(GetDestination r, StreamObserver<DestinationProfile> out) {
                    open.add(r.getPath());
                    Context.current().addListener(c -> open.remove(r.getPath()), Runnable::run);
                    out.onNext(DestinationProfile.newBuilder().setOpaqueProtocol(false).build());
                  }
                })
            .build()
            .start();
    loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  }

  private void discovery(Limits limits) {
    discovery =
        new Discovery(
            new Discovery.Settings(
                "127.0.0.1:" + server.getPort(),
                "ns",
                "pod",
                Duration.ofSeconds(10),
                Duration.ofSeconds(10),
                NioSocketChannel.class,
                limits),
            metrics,
            loop);
  }

  @AfterEach
  void stop() {
    if (discovery != null) {
      discovery.close();
    }
    server.shutdownNow();
    loop.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS);
  }

  private static InetSocketAddress dst(int port) {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  private static Promise<Void> connection() {
    return new DefaultPromise<>(ImmediateEventExecutor.INSTANCE);
  }

  @Test
  void a_watch_is_closed_after_its_last_connection_and_the_idle_timeout_not_before() {
    discovery(
        new Limits(Duration.ofMillis(300), 100, Duration.ofMillis(100), Duration.ofSeconds(1)));
    Promise<Void> kept = connection();
    Promise<Void> gone = connection();
    Promise<Void> gone2 = connection();
    discovery.profile(dst(1001), kept).join();
    discovery.profile(dst(1002), gone).join();
    discovery.profile(dst(1002), gone2).join(); // two connections share one watch
    await().atMost(Duration.ofSeconds(30)).until(() -> open.size() == 2);

    gone.setSuccess(null);
    // One of its two connections remains: several idle timeouts later it is still watched.
    await()
        .pollDelay(Duration.ofMillis(1_500))
        .atMost(Duration.ofSeconds(30))
        .until(() -> open.contains("127.0.0.1:1002"));
    assertThat(discovery.destinations()).isEqualTo(2);

    gone2.setSuccess(null);
    await().atMost(Duration.ofSeconds(30)).until(() -> !open.contains("127.0.0.1:1002"));
    assertThat(discovery.destinations()).isEqualTo(1);
    assertThat(open).containsExactly("127.0.0.1:1001");
  }

  @Test
  void over_the_cap_a_new_destination_is_relayed_as_tcp_and_counted() {
    discovery(new Limits(Duration.ofSeconds(60), 2, Duration.ofMillis(100), Duration.ofSeconds(1)));
    discovery.profile(dst(1001), connection()).join();
    discovery.profile(dst(1002), connection()).join();
    ProfileView third = discovery.profile(dst(1003), connection()).join();
    assertThat(third).isEqualTo(Discovery.OVER_CAP);
    assertThat(third.opaque()).isTrue();
    assertThat(metrics.value("discovery_destinations_refused_total")).isEqualTo(1);
    // A destination already watched is served over the cap.
    assertThat(discovery.profile(dst(1001), connection()).join()).isNotEqualTo(Discovery.OVER_CAP);
    assertThat(open).doesNotContain("127.0.0.1:1003");
  }
}
