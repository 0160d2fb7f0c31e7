package dev.portolan.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import org.junit.jupiter.api.Test;

class InboundAccessTest {
  static final String ID = "web.ns.serviceaccount.identity.portolan.cluster.local";

  @Test
  void a_sent_client_id_is_replaced_by_the_verified_one() {
    HttpHeaders h = new DefaultHttpHeaders().add("L5d-Client-Id", "spoofed").add("x", "y");
    h.add("l5d-client-id", "spoofed-too");
    InboundAccess.rewrite(h, ID);
    assertThat(h.getAll("l5d-client-id")).containsExactly(ID);
    assertThat(h.get("x")).isEqualTo("y");
  }

  @Test
  void without_an_identity_the_header_is_only_removed() {
    HttpHeaders h = new DefaultHttpHeaders().add("l5d-client-id", "spoofed");
    InboundAccess.rewrite(h, null);
    assertThat(h.contains("l5d-client-id")).isFalse();
    Http2Headers h2 = new DefaultHttp2Headers().add("l5d-client-id", "spoofed");
    InboundAccess.rewrite(h2, null);
    assertThat(h2.contains("l5d-client-id")).isFalse();
    InboundAccess.rewrite(h2, ID);
    assertThat(h2.getAll("l5d-client-id")).extracting(CharSequence::toString).containsExactly(ID);
  }

  @Test
  void a_plaintext_channel_has_no_client_id_and_no_refusal() {
    EmbeddedChannel ch = new EmbeddedChannel();
    assertThat(InboundAccess.clientId(ch)).isNull();
    assertThat(InboundAccess.refused(ch)).isNull();
    ch.attr(InboundAccess.REFUSED).set("why");
    assertThat(InboundAccess.refused(ch)).isEqualTo("why");
  }
}
