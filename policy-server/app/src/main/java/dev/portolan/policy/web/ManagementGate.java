package dev.portolan.policy.web;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.EndpointId;
import org.springframework.boot.actuate.endpoint.web.PathMappedEndpoints;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.PathContainer;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.ConnectionInformation;

/**
 * Keeps the actuator's diagnostics behind loopback (docs/operations.md, "Exposure of the ports"). A
 * request that arrived on a non-loopback address of this host (the kubelet's probes, Prometheus,
 * anything in the cluster once {@code portolan.management.address} exposes the port) reaches only
 * the endpoints of {@code portolan.management.remote-endpoints}, health and prometheus by default;
 * any other path is a 404 with an empty body, so neither subscriber identities ({@code
 * /actuator/destinations}) nor the list of endpoints leave the pod. Loopback, the default bind
 * address and where {@code kubectl port-forward} arrives, reaches everything.
 *
 * <p>The address is the accepting socket's own: Host, Forwarded and X-Forwarded-* are written by
 * the client and are not consulted.
 */
@Component
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
public final class ManagementGate implements WebFilter, Ordered {
  private final List<List<String>> remotePaths;

  public ManagementGate(ManagementProperties props, PathMappedEndpoints endpoints) {
    List<List<String>> paths = new ArrayList<>();
    for (String id : props.remoteEndpoints()) {
      String path = endpoints.getPath(EndpointId.of(id));
      if (path != null) { // an endpoint that is not exposed has no path: nothing to let through
        paths.add(segments(PathContainer.parsePath(path)));
      }
    }
    this.remotePaths = List.copyOf(paths);
  }

  @Override
  public int getOrder() {
    return Ordered.HIGHEST_PRECEDENCE;
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    ServerHttpRequest request = exchange.getRequest();
    if (arrivedOnLoopback(request)
        || remotelyReachable(request.getPath().pathWithinApplication())) {
      return chain.filter(exchange);
    }
    ServerHttpResponse response = exchange.getResponse();
    response.setStatusCode(HttpStatus.NOT_FOUND);
    return response.setComplete();
  }

  private boolean remotelyReachable(PathContainer path) {
    List<String> segments = segments(path);
    // Dot segments are matched literally by the router; refusing them keeps gate and router from
    // ever disagreeing about where a path leads.
    if (segments.contains("..") || segments.contains(".")) {
      return false;
    }
    for (List<String> allowed : remotePaths) {
      if (segments.size() >= allowed.size()
          && segments.subList(0, allowed.size()).equals(allowed)) {
        return true;
      }
    }
    return false;
  }

  /** Decoded path segments, as the router matches them ({@code %64} is {@code d}). */
  private static List<String> segments(PathContainer path) {
    List<String> out = new ArrayList<>();
    for (PathContainer.Element e : path.elements()) {
      if (e instanceof PathContainer.PathSegment s) {
        out.add(s.valueToMatch());
      }
    }
    return out;
  }

  static boolean arrivedOnLoopback(ServerHttpRequest request) {
    Object nativeRequest = ServerHttpRequestDecorator.getNativeRequest(request);
    @Nullable SocketAddress local =
        nativeRequest instanceof ConnectionInformation c ? c.connectionHostAddress() : null;
    return local instanceof InetSocketAddress a
        && a.getAddress() != null
        && a.getAddress().isLoopbackAddress();
  }
}
