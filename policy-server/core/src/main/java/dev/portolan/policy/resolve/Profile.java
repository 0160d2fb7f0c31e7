package dev.portolan.policy.resolve;

import dev.portolan.policy.model.EffectiveProtocol;
import dev.portolan.policy.model.ObjectRef;
import org.jspecify.annotations.Nullable;

/**
 * The answer to GetProfile.
 *
 * @param fullyQualifiedName the Service's FQN, or "" when the target is not a Service
 * @param protocol effective protocol (docs/design/sources-and-precedence.md): the Service rules for
 *     Services, the inbound rules for pod IPs, the defaults for the unknown
 * @param endpoint set for pod-IP targets
 * @param target the object that answered, or null for an unknown destination
 */
public record Profile(
    String fullyQualifiedName,
    EffectiveProtocol protocol,
    @Nullable Endpoint endpoint,
    @Nullable ObjectRef target) {
  public boolean opaque() {
    return protocol.isOpaque();
  }
}
