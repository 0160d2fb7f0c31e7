package dev.portolan.proxy.discovery;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Several policy-server replicas in {@code PORTOLAN_POLICY_SERVER} ({@code host:port,host:port};
 * docs/proxy.md, "Reconnecting to the control plane"): a name resolver that hands gRPC the list in
 * an order of this proxy's own, so proxies spread over the replicas and gRPC's pick-first moves to
 * the next one when the one in use goes away. One address stays a plain gRPC target (DNS, which
 * also takes a name with several addresses).
 */
final class Replicas extends NameResolverProvider {
  static final String SCHEME = "portolan-replicas";
  private static final Replicas INSTANCE = new Replicas();

  static {
    NameResolverRegistry.getDefaultRegistry().register(INSTANCE);
  }

  private Replicas() {}

  /** The gRPC target for {@code policyServer}: itself, or this resolver's for a list. */
  static String target(String policyServer) {
    if (policyServer.indexOf(',') < 0) {
      return policyServer;
    }
    for (String a : policyServer.split(",")) {
      parse(a.strip()); // a bad entry is named at start, not at the first stream
    }
    return SCHEME + ":///" + policyServer.replace(" ", "");
  }

  private static InetSocketAddress parse(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0 || colon == hostPort.length() - 1) {
      throw new IllegalArgumentException(
          "PORTOLAN_POLICY_SERVER: '" + hostPort + "' is not host:port");
    }
    String host = hostPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    try {
      return new InetSocketAddress(host, Integer.parseInt(hostPort.substring(colon + 1)));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "PORTOLAN_POLICY_SERVER: '" + hostPort + "' is not host:port", e);
    }
  }

  @Override
  public @Nullable NameResolver newNameResolver(URI uri, NameResolver.Args args) {
    if (!SCHEME.equals(uri.getScheme())) {
      return null;
    }
    String list = uri.getPath().substring(1);
    return new NameResolver() {
      @Override
      public String getServiceAuthority() {
        return list.substring(0, list.indexOf(','));
      }

      @Override
      public void start(Listener2 listener) {
        List<EquivalentAddressGroup> groups = new ArrayList<>();
        for (String a : list.split(",")) {
          groups.add(new EquivalentAddressGroup(parse(a)));
        }
        Collections.shuffle(groups);
        listener.onResult(ResolutionResult.newBuilder().setAddresses(groups).build());
      }

      @Override
      public void shutdown() {}
    };
  }

  @Override
  public String getDefaultScheme() {
    return SCHEME;
  }

  @Override
  protected boolean isAvailable() {
    return true;
  }

  @Override
  protected int priority() {
    return 1; // below DNS (5): a target without a scheme stays a DNS name
  }

  @Override
  public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
    return List.of(InetSocketAddress.class);
  }
}
