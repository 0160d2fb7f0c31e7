package dev.portolan.proxy.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.model.Authentication;
import dev.portolan.policy.model.Authorization;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How long a redirected connection waits for a ClientHello: the peek window, unless its port would
 * refuse it as plaintext anyway; then until the ClientHello deadline, so that a late client proxy
 * is still terminated.
 */
class HelloWaitTest {
  static final InetAddress POD = InetAddress.ofLiteral("10.42.0.7");
  static final InetAddress OUTSIDE = InetAddress.ofLiteral("203.0.113.5");
  static final Duration WINDOW = Duration.ofMillis(20);
  static final Duration DEADLINE = Duration.ofSeconds(10);

  static Duration wait(List<Authorization> authz, InetAddress src, int port) {
    return InboundRouter.helloWait(authz, src, port, WINDOW, DEADLINE);
  }

  @Test
  void a_port_that_admits_plaintext_waits_the_window() {
    assertThat(InboundRouter.helloWait(null, POD, 80, WINDOW, DEADLINE)).isEqualTo(WINDOW);
    assertThat(wait(AuthorizerTest.policy(Authentication.UNAUTHENTICATED), OUTSIDE, 80))
        .isEqualTo(WINDOW);
    assertThat(wait(AuthorizerTest.policy(Authentication.UNAUTHENTICATED, "10.0.0.0/8"), POD, 6379))
        .isEqualTo(WINDOW);
  }

  @Test
  void a_port_that_refuses_plaintext_waits_for_a_hello_until_the_deadline() {
    assertThat(wait(AuthorizerTest.policy(Authentication.ANY_MESH_IDENTITY), POD, 6379))
        .isEqualTo(DEADLINE);
    assertThat(wait(List.of(), POD, 6379)).isEqualTo(DEADLINE); // deny
    assertThat(
            wait(
                AuthorizerTest.policy(Authentication.UNAUTHENTICATED, "10.0.0.0/8"), OUTSIDE, 6379))
        .isEqualTo(DEADLINE);
  }
}
