package dev.portolan.policy.grpc;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Where the gRPC port listens and how it stops (docs/operations.md, "Shutdown and drain" and
 * "Exposure of the ports"). The port itself is {@code portolan.grpc.port}, bound by
 * PortolanProperties; these settings sit beside it.
 *
 * @param address the address the gRPC port binds; unset: every interface, which a cluster needs
 *     (proxies in other pods connect to it)
 * @param drainDelay after GOAWAY, how long calls may end on their own before the streams still open
 *     are ended with UNAVAILABLE
 * @param drainPeriod the bound on the whole drain, from GOAWAY to a stopped server; keep it well
 *     under the pod's termination grace period (30 s by default)
 */
@ConfigurationProperties("portolan.grpc")
public record GrpcListenerProperties(
    @Nullable InetAddress address,
    @DefaultValue("1s") Duration drainDelay,
    @DefaultValue("5s") Duration drainPeriod) {

  public GrpcListenerProperties {
    if (drainDelay.isNegative() || drainPeriod.isNegative()) {
      throw new IllegalArgumentException(
          "portolan.grpc.drain-delay (%s) and portolan.grpc.drain-period (%s) must not be negative"
              .formatted(drainDelay, drainPeriod));
    }
    if (drainDelay.compareTo(drainPeriod) > 0) {
      throw new IllegalArgumentException(
          "portolan.grpc.drain-delay (%s) must not exceed portolan.grpc.drain-period (%s)"
              .formatted(drainDelay, drainPeriod));
    }
  }

  /** The settings when none are bound (a GrpcServer built by hand, as in tests). */
  public static GrpcListenerProperties defaults() {
    return new GrpcListenerProperties(null, Duration.ofSeconds(1), Duration.ofSeconds(5));
  }

  InetSocketAddress socketAddress(int port) {
    // InetSocketAddress(port) is the wildcard of both families; 0.0.0.0 would be IPv4 only.
    return address == null ? new InetSocketAddress(port) : new InetSocketAddress(address, port);
  }
}
