package dev.portolan.policy.networkpolicy;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.stereotype.Component;

/**
 * {@code /actuator/networkpolicy}: where a NetworkPolicy makes Portolan withhold the rewrite to the
 * inbound port, each with its reason and a suggested patch (docs/networkpolicy.md).
 */
@Component
@Endpoint(id = "networkpolicy")
public class NetworkPolicyEndpoint {
  private static final Duration WAIT = Duration.ofSeconds(5);
  private final NetworkPolicyConflicts conflicts;
  private final NetworkPolicyProperties props;

  public NetworkPolicyEndpoint(NetworkPolicyConflicts conflicts, NetworkPolicyProperties props) {
    this.conflicts = conflicts;
    this.props = props;
  }

  @ReadOperation
  public Map<String, Object> report() throws InterruptedException {
    // A person (or a script applying the patch) reads this: the latest state, not the last one the
    // background computation got to.
    NetworkPolicyConflicts.Report r = conflicts.current(WAIT);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("rewrite", props.rewrite().name().toLowerCase(java.util.Locale.ROOT));
    out.put("version", r.version());
    out.put("conflicts", r.conflicts().stream().map(Conflict::toJson).toList());
    return out;
  }
}
