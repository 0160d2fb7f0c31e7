package dev.portolan.proxy.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.Test;

class TransportTest {
  @Test
  void auto_prefers_io_uring_and_falls_back_to_epoll() {
    assertThat(Transport.choose("auto"))
        .isEqualTo(IoUring.isAvailable() ? Transport.IO_URING : Transport.EPOLL);
    assertThat(Transport.choose("")).isEqualTo(Transport.choose("auto"));
    assertThat(Transport.choose(" EPOLL ")).isEqualTo(Transport.EPOLL);
  }

  @Test
  void a_bad_value_names_the_variable_the_token_and_the_choices() {
    assertThatThrownBy(() -> Transport.choose("nio"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("PORTOLAN_TRANSPORT: 'nio' is not one of auto, io_uring, epoll");
  }

  @Test
  void upstream_channels_follow_the_transport_of_their_event_loop() throws Exception {
    for (Transport t : Transport.values()) {
      if (t == Transport.IO_URING && !IoUring.isAvailable()) {
        // Covered where the kernel offers io_uring (CI does); nothing to check here otherwise.
        continue;
      }
      EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, t.handlers());
      try {
        assertThat(Transport.of(group.next())).isEqualTo(t);
      } finally {
        group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).sync();
      }
    }
  }
}
