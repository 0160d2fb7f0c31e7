package dev.portolan.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.grpc.GrpcServer;
import dev.portolan.tools.GrpcCurl;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * The shipped examples/ directory, served as the README's run command serves it, queried the way a
 * user would: with a grpcurl-style client that discovers the API through reflection.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {"portolan.grpc.port=0", "portolan.manifests.dir=../../examples"})
class ExamplesTest {
  @Autowired GrpcServer grpc;
  ManagedChannel channel;
  ByteArrayOutputStream out;
  GrpcCurl curl;

  @BeforeEach
  void connect() {
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
    out = new ByteArrayOutputStream();
    curl = new GrpcCurl(channel, new PrintStream(out, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void close() {
    channel.shutdownNow();
  }

  private String output() {
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void reflection_lists_the_proxy_apis() throws Exception {
    assertThat(curl.listServices())
        .contains(
            "io.linkerd.proxy.destination.Destination",
            "io.linkerd.proxy.inbound.InboundServerPolicies",
            "portolan.v1.Diagnostics",
            "grpc.health.v1.Health");
  }

  @ParameterizedTest(name = "{0} opaque={1}")
  @CsvSource({
    "redis.shop.svc.cluster.local:6379, true",
    "postgres.shop.svc.cluster.local:5432, true",
    "mysql.shop.svc.cluster.local:9090, true",
    "web.shop.svc.cluster.local:80, false",
    "api.shop.svc.cluster.local:9000, false",
    "api.shop.svc.cluster.local:9443, true",
    "galera.shop.svc.cluster.local:4567, true",
    "smtp.mail.svc.cluster.local:2525, true",
    "10.42.0.40:4567, true",
    "10.42.0.20:8080, false",
    "198.51.100.7:3306, true",
    "198.51.100.7:80, false"
  })
  void profiles_of_the_examples(String path, boolean opaque) throws Exception {
    curl.call(
        "io.linkerd.proxy.destination.Destination/GetProfile",
        "{\"path\":\"" + path + "\"}",
        1,
        10);
    if (opaque) {
      assertThat(output()).contains("\"opaqueProtocol\": true");
    } else {
      assertThat(output()).doesNotContain("opaqueProtocol");
    }
  }

  @Test
  void redis_endpoint_carries_opaque_transport_and_identity() throws Exception {
    curl.call(
        "io.linkerd.proxy.destination.Destination/Get",
        "{\"path\":\"redis.shop.svc.cluster.local:6379\"}",
        1,
        10);
    assertThat(output())
        .contains("\"inboundPort\": 4143")
        .contains("redis.shop.serviceaccount.identity.portolan.cluster.local")
        .contains("\"statefulset\": \"redis\"");
  }

  @Test
  void explain_over_grpc_says_why_galera_replication_is_opaque() throws Exception {
    curl.call(
        "portolan.v1.Diagnostics/Explain",
        "{\"namespace\":\"shop\",\"kind\":\"service\",\"name\":\"galera\",\"port\":4567}",
        1,
        10);
    assertThat(output())
        .contains("\"source\": \"derived\"")
        .contains("galera-replication")
        .contains("\"protocol\": \"opaque\"");
  }

  @Test
  void watch_port_of_smtp_is_opaque_by_namespace_annotation() throws Exception {
    curl.call(
        "io.linkerd.proxy.inbound.InboundServerPolicies/WatchPort",
        "{\"workload\":\"mail:smtp-0\",\"port\":2525}",
        1,
        10);
    assertThat(output())
        .contains("\"opaque\": {")
        .contains("namespace:config.linkerd.io/opaque-ports");
  }
}
