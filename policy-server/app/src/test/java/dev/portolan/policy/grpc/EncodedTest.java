package dev.portolan.policy.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.api.destination.DestinationGrpc;
import dev.portolan.api.destination.Update;
import dev.portolan.api.destination.WeightedAddr;
import dev.portolan.api.destination.WeightedAddrSet;
import dev.portolan.api.net.IPAddress;
import dev.portolan.api.net.TcpAddress;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** A shared response is encoded once, and what goes on the wire is exactly protobuf's encoding. */
class EncodedTest {
  final Update update =
      Update.newBuilder()
          .setAdd(
              WeightedAddrSet.newBuilder()
                  .putMetricLabels("service", "redis")
                  .addAddrs(
                      WeightedAddr.newBuilder()
                          .setAddr(
                              TcpAddress.newBuilder()
                                  .setIp(IPAddress.newBuilder().setIpv4(0x0a01000a))
                                  .setPort(6379))
                          .setWeight(10000)
                          .putMetricLabels("pod", "redis-0")))
          .build();
  final MethodDescriptor.Marshaller<Encoded<Update>> marshaller =
      Encoded.marshaller(DestinationGrpc.getGetMethod().getResponseMarshaller());

  @Test
  void the_stream_is_protobufs_encoding_sized_and_drained_in_one_write() throws Exception {
    Encoded<Update> e = new Encoded<>(update);
    InputStream s = marshaller.stream(e);
    assertThat(s).isInstanceOf(KnownLength.class).isInstanceOf(Drainable.class);
    assertThat(s.available()).isEqualTo(update.getSerializedSize()).isEqualTo(e.size());
    var out = new ByteArrayOutputStream();
    assertThat(((Drainable) s).drainTo(out)).isEqualTo(e.size());
    assertThat(out.toByteArray()).isEqualTo(update.toByteArray());
    assertThat(s.available()).isZero();
    assertThat(s.read()).isEqualTo(-1);
  }

  @Test
  void every_stream_of_one_message_reads_the_same_bytes() throws Exception {
    Encoded<Update> e = new Encoded<>(update);
    byte[] first = marshaller.stream(e).readAllBytes();
    byte[] second = marshaller.stream(e).readAllBytes();
    assertThat(first).isEqualTo(second).isEqualTo(update.toByteArray());
  }

  @Test
  void it_parses_back_to_the_message() {
    Encoded<Update> parsed = marshaller.parse(marshaller.stream(new Encoded<>(update)));
    assertThat(parsed.message()).isEqualTo(update);
  }
}
