/**
 * Kubernetes NetworkPolicy ({@code networking.k8s.io/v1}) evaluation over trimmed model records,
 * for the NetworkPolicy-aware rewrite to the inbound proxy port (docs/design/networkpolicy.md).
 *
 * <p>{@link dev.portolan.policy.netpol.NetworkPolicies} answers whether one pod may send to another
 * on a TCP port, explains why ({@link dev.portolan.policy.netpol.Verdict}), and groups clients into
 * classes the policies cannot tell apart ({@link dev.portolan.policy.netpol.ClientClass}). Pure:
 * JDK and model types only.
 */
@NullMarked
package dev.portolan.policy.netpol;

import org.jspecify.annotations.NullMarked;
