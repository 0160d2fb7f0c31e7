package dev.portolan.policy.model;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A {@code networking.k8s.io/v1} NetworkPolicy, trimmed to what its evaluation reads (see {@code
 * dev.portolan.policy.netpol.NetworkPolicies} and docs/design/networkpolicy.md).
 *
 * <p>The lists here never tell "absent" from "empty", because Kubernetes gives both the same
 * meaning at every level the evaluation reads: a rule whose {@code from}/{@code to} is missing or
 * {@code []} matches every peer; a rule whose {@code ports} is missing or {@code []} matches every
 * port; a policy whose {@code ingress} is missing or {@code []} allows no ingress at all (it only
 * isolates the pods it selects), while {@code ingress: [{}]} is one rule matching everything. The
 * one place where presence mattered, defaulting {@code policyTypes}, is resolved before this record
 * is built ({@link #defaultPolicyTypes}).
 *
 * @param podSelector the pods of {@code namespace} this policy applies to; empty selects all
 * @param policyTypes the directions this policy isolates, as the API server stores them (never
 *     empty)
 * @param ingress rules allowing traffic into the selected pods; read only when {@code policyTypes}
 *     contains {@link PolicyType#INGRESS}
 * @param egress rules allowing traffic out of the selected pods; read only when {@code policyTypes}
 *     contains {@link PolicyType#EGRESS}
 */
public record NetworkPolicyInfo(
    String namespace,
    String name,
    LabelSelector podSelector,
    Set<PolicyType> policyTypes,
    List<Rule> ingress,
    List<Rule> egress)
    implements Resource {

  public NetworkPolicyInfo {
    policyTypes = Set.copyOf(policyTypes);
    ingress = List.copyOf(ingress);
    egress = List.copyOf(egress);
    if (policyTypes.isEmpty()) {
      throw new IllegalArgumentException(
          "NetworkPolicy "
              + namespace
              + "/"
              + name
              + ": policyTypes is empty; default it with NetworkPolicyInfo.defaultPolicyTypes");
    }
  }

  /**
   * A policy with only a pod selector: as the API server stores {@code spec: {podSelector: ...}},
   * it isolates the selected pods for ingress and allows nothing in.
   */
  public NetworkPolicyInfo(String namespace, String name, LabelSelector podSelector) {
    this(namespace, name, podSelector, Set.of(PolicyType.INGRESS), List.of(), List.of());
  }

  /**
   * The API server's default for a policy written without {@code policyTypes} (or with an empty
   * list): every policy affects ingress, and one whose {@code egress} list has at least one rule
   * affects egress too. An {@code egress: []} therefore does not make a policy egress-isolating;
   * that takes an explicit {@code policyTypes: [Egress]}.
   */
  public static Set<PolicyType> defaultPolicyTypes(List<Rule> egress) {
    return egress.isEmpty()
        ? Set.of(PolicyType.INGRESS)
        : Set.of(PolicyType.INGRESS, PolicyType.EGRESS);
  }

  @Override
  public Kind kind() {
    return Kind.NETWORK_POLICY;
  }

  public ObjectRef ref() {
    return new ObjectRef("NetworkPolicy", namespace, name);
  }

  /** Whether this policy isolates the pods it selects in direction {@code d}. */
  public boolean affects(PolicyType d) {
    return policyTypes.contains(d);
  }

  /** The rules of direction {@code d}: {@link #ingress} or {@link #egress}. */
  public List<Rule> rules(PolicyType d) {
    return d == PolicyType.INGRESS ? ingress : egress;
  }

  /** A traffic direction, as {@code spec.policyTypes} names it. */
  public enum PolicyType {
    INGRESS("Ingress"),
    EGRESS("Egress");

    private final String apiName;

    PolicyType(String apiName) {
      this.apiName = apiName;
    }

    /** {@code Ingress} or {@code Egress}. */
    public String apiName() {
      return apiName;
    }

    /**
     * Reads a {@code policyTypes} entry.
     *
     * @throws IllegalArgumentException for anything but {@code Ingress} or {@code Egress}
     */
    public static PolicyType parse(String s) {
      for (PolicyType t : values()) {
        if (t.apiName.equals(s)) {
          return t;
        }
      }
      throw new IllegalArgumentException(
          "policyTypes entry \"" + s + "\" is neither \"Ingress\" nor \"Egress\"");
    }

    @Override
    public String toString() {
      return apiName;
    }
  }

  /**
   * One ingress or egress rule: traffic matches when it matches one of {@code peers} (or {@code
   * peers} is empty) and one of {@code ports} (or {@code ports} is empty).
   *
   * @param peers {@code from} (ingress) or {@code to} (egress); empty matches every peer
   * @param ports empty matches every port of every protocol
   */
  public record Rule(List<Peer> peers, List<Port> ports) {
    /** {@code {}}: every peer, every port. */
    public static final Rule ALLOW_ALL = new Rule(List.of(), List.of());

    public Rule {
      peers = List.copyOf(peers);
      ports = List.copyOf(ports);
    }
  }

  /** One entry of {@code from} or {@code to}. */
  public sealed interface Peer {
    /**
     * Pods chosen by label: with only {@code podSelector}, pods of the policy's own namespace; with
     * only {@code namespaceSelector}, every pod of the namespaces it selects; with both, the pods
     * matching {@code podSelector} in the namespaces matching {@code namespaceSelector}. An empty
     * selector matches everything; a null one is "not written".
     */
    record Pods(@Nullable LabelSelector podSelector, @Nullable LabelSelector namespaceSelector)
        implements Peer {
      public Pods {
        if (podSelector == null && namespaceSelector == null) {
          throw new IllegalArgumentException(
              "a peer needs a podSelector, a namespaceSelector or an ipBlock");
        }
      }
    }

    /** Addresses in {@code block}. */
    record Block(IpBlock block) implements Peer {}
  }

  /**
   * {@code ipBlock}: the addresses of {@code cidr} except those of any {@code except} network.
   *
   * @throws IllegalArgumentException when an {@code except} entry is not strictly inside {@code
   *     cidr} (the API server rejects such a policy)
   */
  public record IpBlock(Cidr cidr, List<Cidr> except) {
    public IpBlock {
      except = List.copyOf(except);
      for (Cidr e : except) {
        if (!cidr.contains(e) || e.prefix() == cidr.prefix()) {
          throw new IllegalArgumentException(
              "ipBlock except " + e + " is not a strict subset of cidr " + cidr);
        }
      }
    }

    public boolean contains(IpAddress a) {
      if (!cidr.contains(a)) {
        return false;
      }
      for (Cidr e : except) {
        if (e.contains(a)) {
          return false;
        }
      }
      return true;
    }

    @Override
    public String toString() {
      return except.isEmpty() ? cidr.toString() : cidr + " except " + except;
    }
  }

  /**
   * One entry of {@code ports}: a protocol and a port (a number, a range {@code port..endPort}, a
   * container port name, or all ports of the protocol).
   */
  public sealed interface Port {
    /** {@code TCP}, {@code UDP} or {@code SCTP}. */
    String protocol();

    /** No {@code port}: every port of {@code protocol}. */
    record All(String protocol) implements Port {
      public All {
        protocol = normalize(protocol);
      }
    }

    /** {@code port}, or {@code port} to {@code endPort} inclusive. */
    record Numbers(String protocol, PortRange range) implements Port {
      public Numbers {
        protocol = normalize(protocol);
      }
    }

    /** A named port: resolved against the container ports of the destination pod. */
    record Named(String protocol, String name) implements Port {
      public Named {
        protocol = normalize(protocol);
        if (name.isEmpty()) {
          throw new IllegalArgumentException("an empty port name");
        }
      }
    }

    /**
     * The protocol as the API spells it; null or empty is {@code TCP}, the API's default.
     *
     * @throws IllegalArgumentException for anything but TCP, UDP or SCTP
     */
    static String normalize(@Nullable String protocol) {
      if (protocol == null || protocol.isEmpty()) {
        return "TCP";
      }
      String p = protocol.toUpperCase(Locale.ROOT);
      if (!p.equals("TCP") && !p.equals("UDP") && !p.equals("SCTP")) {
        throw new IllegalArgumentException(
            "protocol \"" + protocol + "\" is not one of TCP, UDP, SCTP");
      }
      return p;
    }
  }
}
