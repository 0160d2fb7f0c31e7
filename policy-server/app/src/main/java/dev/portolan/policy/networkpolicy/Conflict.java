package dev.portolan.policy.networkpolicy;

import dev.portolan.policy.model.ObjectRef;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One place where the rewrite to the inbound port is withheld: a rule of {@code policy} lets {@code
 * clients} reach {@code server} on {@code port} but not on {@code inboundPort}, so their proxies
 * keep mTLS on {@code port} instead of tunnelling through {@code inboundPort}.
 *
 * @param direction {@code ingress} (the server's policy) or {@code egress} (the clients' policy)
 * @param rule the index of the rule in the policy's {@code spec.<direction>} list, from 0
 * @param server the server's workload (a Deployment, StatefulSet, ... or the Pod itself)
 * @param clients the meshed client Pods affected ({@code namespace/name}), sorted
 * @param reason the explanation, in one sentence
 * @param patch the policy with {@code inboundPort} added to that rule, as YAML for {@code kubectl
 *     apply -f -}
 */
public record Conflict(
    ObjectRef policy,
    String direction,
    int rule,
    ObjectRef server,
    int port,
    int inboundPort,
    List<String> clients,
    String reason,
    String patch) {
  public Conflict {
    clients = List.copyOf(clients);
  }

  /** The actuator's JSON shape (docs/api.md). */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("policy", ref(policy));
    m.put("direction", direction);
    m.put("rule", rule);
    m.put("server", ref(server));
    m.put("port", port);
    m.put("inboundPort", inboundPort);
    m.put("clients", clients);
    m.put("reason", reason);
    m.put("patch", patch);
    return m;
  }

  private static Map<String, Object> ref(ObjectRef r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", r.kind());
    m.put("namespace", r.namespace());
    m.put("name", r.name());
    return m;
  }
}
