package dev.portolan.policy.netpol;

import dev.portolan.policy.model.NetworkPolicyInfo.PolicyType;
import dev.portolan.policy.model.ObjectRef;

/**
 * One rule of one NetworkPolicy: {@code spec.ingress[index]} or {@code spec.egress[index]}.
 *
 * @param index position in the policy's list, from 0, as {@code kubectl} and JSON paths count
 */
public record RuleRef(ObjectRef policy, PolicyType direction, int index) {
  @Override
  public String toString() {
    return policy
        + " "
        + (direction == PolicyType.INGRESS ? "ingress" : "egress")
        + "["
        + index
        + "]";
  }
}
