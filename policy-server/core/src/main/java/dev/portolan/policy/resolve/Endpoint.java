package dev.portolan.policy.resolve;

import dev.portolan.policy.model.EffectiveProtocol;
import dev.portolan.policy.model.ObjectRef;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One endpoint address as a client should see it (docs/design/sources-and-precedence.md,
 * endpoints).
 *
 * @param pod the backing Pod, or null when the address maps to no known Pod
 * @param identity the TLS identity, or null (unmeshed, or skipped port)
 * @param hint the protocol hint, or null (unmeshed, or skipped port)
 * @param protocol the inbound decision for this address (null without a Pod), for provenance
 * @param problems configuration problems found while building it (the endpoint is still served)
 */
public record Endpoint(
    String ip,
    int port,
    @Nullable ObjectRef pod,
    @Nullable String identity,
    @Nullable Hint hint,
    Map<String, String> labels,
    @Nullable EffectiveProtocol protocol,
    List<String> problems) {

  public Endpoint {
    labels = Map.copyOf(labels);
    problems = List.copyOf(problems);
  }

  /** This endpoint with another hint (what a client class is told differently). */
  public Endpoint withHint(Hint other) {
    return new Endpoint(ip, port, pod, identity, other, labels, protocol, problems);
  }

  /** The address, the key endpoints are added and removed by. */
  public String address() {
    return ip.indexOf(':') >= 0 ? "[" + ip + "]:" + port : ip + ":" + port;
  }

  /**
   * The protocol hint.
   *
   * @param opaqueTransportPort the inbound proxy port to rewrite to, or 0 for none
   */
  public record Hint(boolean opaque, int opaqueTransportPort) {}
}
