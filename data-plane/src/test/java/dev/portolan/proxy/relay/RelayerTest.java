package dev.portolan.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.net.IoTransport;
import org.junit.jupiter.api.Test;

class RelayerTest {
  @Test
  void the_native_relay_follows_the_transport_and_netty_keeps_the_pipeline() {
    assertThat(Relayer.of(IoTransport.IO_URING, true)).isEqualTo(Relayer.IO_URING);
    assertThat(Relayer.of(IoTransport.EPOLL, true)).isEqualTo(Relayer.EPOLL);
    assertThat(Relayer.of(IoTransport.IO_URING, false)).isEqualTo(Relayer.NETTY);
    assertThat(Relayer.of(IoTransport.EPOLL, false)).isEqualTo(Relayer.NETTY);
  }

  @Test
  void only_the_native_relays_take_the_sockets_from_netty() {
    assertThat(Relayer.NETTY.takesSockets()).isFalse();
    assertThat(Relayer.IO_URING.takesSockets()).isTrue();
    assertThat(Relayer.EPOLL.takesSockets()).isTrue();
  }
}
