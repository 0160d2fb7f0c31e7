package dev.portolan.policy.web;

import dev.portolan.policy.explain.Explainer;
import dev.portolan.policy.resolve.BadRequestException;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.stereotype.Component;

/** {@code /actuator/opaqueports/{namespace}/{kind}/{name}}: why each port is opaque or not. */
@Component
@Endpoint(id = "opaqueports")
public class OpaquePortsEndpoint {
  private final Explainer explainer;

  public OpaquePortsEndpoint(Explainer explainer) {
    this.explainer = explainer;
  }

  @ReadOperation
  public WebEndpointResponse<Map<String, Object>> explain(
      @Selector String namespace, @Selector String kind, @Selector String name) {
    try {
      var e = explainer.explain(namespace, kind, name, 0);
      if (e == null) {
        return new WebEndpointResponse<>(
            Map.of("error", Explainer.notFound(namespace, kind, name)), 404);
      }
      return new WebEndpointResponse<>(e.toJson(), 200);
    } catch (BadRequestException ex) {
      return new WebEndpointResponse<>(Map.of("error", ex.getMessage()), 400);
    }
  }
}
