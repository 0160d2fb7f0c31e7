package dev.portolan.proxy.peers;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/** A grpc-java server and client, run as programs inside test-bed pods. */
public final class GrpcPeers {
  private GrpcPeers() {}

  /** {@code server PORT} or {@code client HOST:PORT CALLS}. */
  public static void main(String[] args) throws Exception {
    if (args[0].equals("server")) {
      HealthStatusManager health = new HealthStatusManager();
      health.setStatus("portolan.test", HealthCheckResponse.ServingStatus.SERVING);
      Server server =
          NettyServerBuilder.forAddress(new InetSocketAddress(Integer.parseInt(args[1])))
              .addService(health.getHealthService())
              .build()
              .start();
      System.out.println("grpc server listening on " + server.getPort());
      server.awaitTermination();
      return;
    }
    int calls = Integer.parseInt(args[2]);
    ManagedChannel ch = NettyChannelBuilder.forTarget(args[1]).usePlaintext().build();
    int ok = 0;
    try {
      var stub = HealthGrpc.newBlockingStub(ch);
      for (int i = 0; i < calls; i++) {
        var res =
            stub.withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(HealthCheckRequest.newBuilder().setService("portolan.test").build());
        if (res.getStatus() == HealthCheckResponse.ServingStatus.SERVING) {
          ok++;
        }
      }
    } finally {
      System.out.println("grpc client ok " + ok + " of " + calls);
      ch.shutdownNow();
    }
  }
}
