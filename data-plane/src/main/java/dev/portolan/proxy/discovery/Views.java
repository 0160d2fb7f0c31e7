package dev.portolan.proxy.discovery;

import java.net.InetSocketAddress;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** What discovery tells the data path, free of protobuf. */
public final class Views {
  private Views() {}

  /**
   * An endpoint.
   *
   * @param opaque the protocol hint says opaque
   * @param opaqueTransportPort the inbound port to rewrite to, 0 for none
   * @param identity the TLS identity, or null
   */
  public record EndpointView(
      InetSocketAddress address,
      boolean opaque,
      int opaqueTransportPort,
      @Nullable String identity,
      Map<String, String> labels) {}

  /**
   * A profile.
   *
   * @param fqn the Service's name, or "" when the target is not a Service
   * @param endpoint set for pod-IP targets
   */
  public record ProfileView(boolean opaque, String fqn, @Nullable EndpointView endpoint) {
    /** What an unknown destination gets while the control plane is unreachable. */
    public static final ProfileView UNKNOWN = new ProfileView(false, "", null);
  }
}
