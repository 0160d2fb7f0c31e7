package dev.portolan.policy.events;

import java.util.List;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * {@code /actuator/events} (manifests source only): the Warning Events the server would have
 * written to Kubernetes, read-only, oldest first (docs/operations.md, "Kubernetes Events"). In
 * cluster mode the Events are in the API server ({@code kubectl get events}) and this endpoint does
 * not exist.
 */
@Endpoint(id = "events")
public class EventsEndpoint {
  private final RecordedEvents events;

  public EventsEndpoint(RecordedEvents events) {
    this.events = events;
  }

  @ReadOperation
  public Map<String, List<WarningEvent>> events() {
    return Map.of("events", events.list());
  }
}
