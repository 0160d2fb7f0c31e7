package dev.portolan.policy.resolve;

import dev.portolan.policy.model.EffectiveProtocol;
import dev.portolan.policy.model.InboundAuthz;
import org.jspecify.annotations.Nullable;

/**
 * One port of an explained object.
 *
 * @param authz Pods: who may connect to the port; null for Services
 * @param targetPort Services: the target port as written; Pods: the port itself
 */
public record PortExplanation(
    int port, String targetPort, EffectiveProtocol decision, @Nullable InboundAuthz authz) {
  public PortExplanation(int port, String targetPort, EffectiveProtocol decision) {
    this(port, targetPort, decision, null);
  }
}
