package dev.portolan.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.metrics.Metrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Http1TapTest {
  final Metrics metrics = new Metrics();
  final EmbeddedChannel client = new EmbeddedChannel();
  final EmbeddedChannel upstream = new EmbeddedChannel();

  static ByteBuf bytes(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
  }

  /** What the relay sees after the tap: the very same bytes. */
  static String passed(EmbeddedChannel ch) {
    StringBuilder b = new StringBuilder();
    for (ByteBuf buf; (buf = ch.readInbound()) != null; ) {
      b.append(buf.toString(StandardCharsets.ISO_8859_1));
      buf.release();
    }
    return b.toString();
  }

  long value(String family, String... extra) {
    String[] labels = new String[4 + extra.length];
    labels[0] = "direction";
    labels[1] = "outbound";
    labels[2] = "target_addr";
    labels[3] = "10.0.0.1:80";
    System.arraycopy(extra, 0, labels, 4, extra.length);
    return metrics.value(family, labels);
  }

  @Test
  void counts_pipelined_requests_head_and_failures_and_passes_bytes_unchanged() {
    Http1Tap.install(client, upstream, metrics, "outbound", "10.0.0.1:80");
    String reqs =
        "GET /a HTTP/1.1\r\nHost: x\r\n\r\nHEAD /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n";
    client.writeInbound(bytes(reqs.substring(0, 20)));
    client.writeInbound(bytes(reqs.substring(20)));
    assertThat(passed(client)).isEqualTo(reqs);
    assertThat(value("request_total")).isEqualTo(3);

    String resps =
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
            + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" // HEAD: no body despite the length
            + "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n";
    upstream.writeInbound(bytes(resps));
    assertThat(passed(upstream)).isEqualTo(resps);
    assertThat(value("response_total", "status_code", "200", "classification", "success"))
        .isEqualTo(2);
    assertThat(value("response_total", "status_code", "503", "classification", "failure"))
        .as(metrics.render())
        .isEqualTo(1);
    assertThat(value("response_latency_ms_count")).isEqualTo(3);
  }

  @Test
  void an_upgrade_ends_the_watching_and_bytes_keep_flowing() {
    Http1Tap.install(client, upstream, metrics, "outbound", "10.0.0.1:80");
    client.writeInbound(
        bytes("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"));
    upstream.writeInbound(
        bytes(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"));
    client.runPendingTasks();
    upstream.runPendingTasks();
    assertThat(client.pipeline().get("http1-tap")).isNull();
    assertThat(upstream.pipeline().get("http1-tap")).isNull();
    passed(client);
    passed(upstream);
    client.writeInbound(bytes("\u0081\u0002hi"));
    assertThat(passed(client)).isEqualTo("\u0081\u0002hi");
    assertThat(value("response_total", "status_code", "101", "classification", "success"))
        .isEqualTo(1);
  }

  @Test
  void garbage_stops_the_tap_without_touching_the_relay() {
    Http1Tap.install(client, upstream, metrics, "outbound", "10.0.0.1:80");
    client.writeInbound(bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    upstream.writeInbound(bytes("\u0000\u0001garbage that is no response\r\n\r\n"));
    client.runPendingTasks();
    upstream.runPendingTasks();
    assertThat(passed(upstream)).startsWith("\u0000\u0001garbage");
    assertThat(upstream.pipeline().get("http1-tap")).isNull();
  }
}
