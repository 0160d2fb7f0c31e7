package dev.portolan.policy.web;

import dev.portolan.policy.metrics.StreamRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.stereotype.Component;

/** {@code /actuator/destinations}: open streams by API and key, with the version each last got. */
@Component
@Endpoint(id = "destinations")
public class DestinationsEndpoint {
  private final StreamRegistry streams;

  public DestinationsEndpoint(StreamRegistry streams) {
    this.streams = streams;
  }

  @ReadOperation
  public Map<String, Object> streams() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("open", streams.size());
    out.put("streams", streams.list());
    return out;
  }
}
