package dev.portolan.policy.netpol;

import dev.portolan.policy.model.IpAddress;
import dev.portolan.policy.model.NetworkPolicyInfo.IpBlock;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What the NetworkPolicies of one snapshot can see of a client: two clients with equal classes get
 * the same answer from every {@link NetworkPolicies} method of that snapshot, for every server pod
 * and port (the client's egress and the servers' ingress alike). So a per-client decision (such as
 * whether to rewrite to the inbound port) is computed once per class, with any member as the
 * representative.
 *
 * <p>The class holds exactly the inputs the policies read about a client:
 *
 * <ul>
 *   <li>its namespace (which egress policies can select it; what namespaceSelectors see);
 *   <li>its labels, projected onto the keys some selector that can apply to a pod of that namespace
 *       reads: the podSelector of an egress-isolating policy of the namespace, and the podSelector
 *       of an ingress peer whose namespace part can select the namespace. A key read only through
 *       {@code Exists}/{@code DoesNotExist} keeps its presence, not its value;
 *   <li>the ingress ipBlocks (of any policy) containing its address;
 *   <li>its address, only when it is a node's address (ingress from a pod's own node is always
 *       allowed).
 * </ul>
 *
 * <p>Equal classes imply equal treatment; the converse is deliberately not computed (two namespaces
 * whose policies happen to agree still form two classes), which keeps the class cheap and readable.
 * A class is meaningful only within the {@link NetworkPolicies} that computed it: when a policy or
 * namespace changes, the new snapshot's classes are computed again, except those whose inputs above
 * are provably unchanged (the memo of {@code ClientClassifier}).
 *
 * @param namespace the client pod's namespace; null for a bare address
 * @param labels the client's labels under value-reading keys (absent keys are absent)
 * @param presentLabelKeys presence-only keys the client carries
 * @param ipBlocks the ingress ipBlocks containing the client's address
 * @param nodeIp the client's address when it is a node's address, else null
 */
public record ClientClass(
    @Nullable String namespace,
    Map<String, String> labels,
    Set<String> presentLabelKeys,
    Set<IpBlock> ipBlocks,
    @Nullable IpAddress nodeIp) {
  public ClientClass {
    labels = Map.copyOf(labels);
    presentLabelKeys = Set.copyOf(presentLabelKeys);
    ipBlocks = Set.copyOf(ipBlocks);
  }
}
