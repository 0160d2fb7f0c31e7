package dev.portolan.policy.grpc;

import dev.portolan.api.inbound.InboundServerPoliciesGrpc;
import dev.portolan.policy.index.Index;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * What the tests of InboundServerPolicies over real gRPC share: the gRPC server and the index of
 * their Spring context, and a plaintext channel to that server, opened per test. Each test class
 * names its own manifests directory and properties.
 */
abstract class InboundOverGrpc {
  @Autowired GrpcServer grpc;
  @Autowired Index index;
  ManagedChannel channel;
  InboundServerPoliciesGrpc.InboundServerPoliciesStub inbound;

  @BeforeEach
  void open() {
    channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
    inbound = InboundServerPoliciesGrpc.newStub(channel);
  }

  @AfterEach
  void close() {
    channel.shutdownNow();
  }
}
