package dev.portolan.policy.resolve;

import dev.portolan.policy.model.EffectiveProtocol;

/**
 * One port of an explained object.
 *
 * @param targetPort Services: the target port as written; Pods: the port itself
 */
public record PortExplanation(int port, String targetPort, EffectiveProtocol decision) {}
