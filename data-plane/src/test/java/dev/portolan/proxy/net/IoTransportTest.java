package dev.portolan.proxy.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.Test;

class IoTransportTest {
  @Test
  void auto_prefers_io_uring_and_falls_back_to_epoll() {
    assertThat(IoTransport.choose("auto"))
        .isEqualTo(IoUring.isAvailable() ? IoTransport.IO_URING : IoTransport.EPOLL);
    assertThat(IoTransport.choose("")).isEqualTo(IoTransport.choose("auto"));
    assertThat(IoTransport.choose(" EPOLL ")).isEqualTo(IoTransport.EPOLL);
  }

  @Test
  void a_bad_value_names_the_variable_the_token_and_the_choices() {
    assertThatThrownBy(() -> IoTransport.choose("nio"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("PORTOLAN_TRANSPORT: 'nio' is not one of auto, io_uring, epoll");
  }

  @Test
  void upstream_channels_follow_the_transport_of_their_event_loop() throws Exception {
    for (IoTransport t : IoTransport.values()) {
      if (t == IoTransport.IO_URING && !IoUring.isAvailable()) {
        // Covered where the kernel offers io_uring (CI does); nothing to check here otherwise.
        continue;
      }
      EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, t.handlers());
      try {
        assertThat(IoTransport.of(group.next())).isEqualTo(t);
      } finally {
        group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).sync();
      }
    }
  }
}
