package dev.portolan.policy.model;

import java.util.LinkedHashSet;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One inbound authorization of a port (linkerd2-proxy-api's {@code Authz}, docs/design/wire.md): a
 * client is admitted when its source address is in one of {@code networks} and it passes {@code
 * authentication}. The networks are a list so that a later rule can narrow them per client (the
 * networks a port's NetworkPolicies allow, docs/design/networkpolicy.md).
 *
 * @param networks the client networks admitted, never empty (an empty list would admit nobody)
 * @param authentication what the client must prove
 * @param name the authorization's name, e.g. the default policy it came from ({@code
 *     all-authenticated}); the wire's labels and metadata carry it
 */
public record Authorization(List<Network> networks, Authentication authentication, String name) {
  /**
   * Prefix of the name of an authorization derived from a NetworkPolicy ({@code
   * networkpolicy:<namespace>/<name>}): the proxy tells a refusal by the policy from others by it
   * (docs/design/networkpolicy.md, <i>The tunnel keeps the port rules</i>).
   */
  public static final String NETWORK_POLICY_PREFIX = "networkpolicy:";

  /** Every IPv4 and IPv6 address. */
  public static final List<Network> ALL_NETWORKS =
      List.of(new Network(Cidr.parse("0.0.0.0/0")), new Network(Cidr.parse("::/0")));

  public Authorization {
    networks = List.copyOf(networks);
    if (networks.isEmpty()) {
      throw new IllegalArgumentException("authorization " + name + " has no networks");
    }
  }

  /** The name of the authorization a NetworkPolicy in {@code namespace} contributes. */
  public static String networkPolicyName(String namespace, String name) {
    return NETWORK_POLICY_PREFIX + namespace + "/" + name;
  }

  /** Whether this authorization narrows a port to what a NetworkPolicy allows. */
  public boolean fromNetworkPolicy() {
    return name.startsWith(NETWORK_POLICY_PREFIX);
  }

  /** Whether {@code source} is in one of the networks (whatever the authentication). */
  public boolean inNetworks(IpAddress source) {
    for (Network n : networks) {
      if (n.contains(source)) {
        return true;
      }
    }
    return false;
  }

  /** Whether a client at {@code source} with this mesh identity (null: none) is admitted. */
  public boolean admits(IpAddress source, @Nullable String identity) {
    return inNetworks(source) && authentication.admits(identity);
  }

  /**
   * A client network with exceptions ({@code Network { net, except }} on the wire).
   *
   * @param except addresses of {@code net} that are not admitted
   */
  public record Network(Cidr net, List<Cidr> except) {
    public Network {
      except = List.copyOf(except);
    }

    public Network(Cidr net) {
      this(net, List.of());
    }

    /**
     * The addresses in both networks, or null when they share none. CIDRs are nested or disjoint,
     * so the intersection is the smaller one, minus every exception of either that falls inside it
     * (an exception covering all of it leaves nothing).
     */
    public @Nullable Network intersect(Network other) {
      // The common case, a default's whole network around a policy's address: that address.
      if (except.isEmpty() && net.contains(other.net)) {
        return other;
      }
      if (other.except.isEmpty() && other.net.contains(net)) {
        return this;
      }
      Cidr inner;
      if (net.contains(other.net)) {
        inner = other.net;
      } else if (other.net.contains(net)) {
        inner = net;
      } else {
        return null;
      }
      LinkedHashSet<Cidr> out = new LinkedHashSet<>();
      for (List<Cidr> excepts : List.of(except, other.except)) {
        for (Cidr e : excepts) {
          if (e.contains(inner)) {
            return null;
          }
          if (inner.contains(e)) {
            out.add(e);
          }
        }
      }
      return new Network(inner, List.copyOf(out));
    }

    /** The addresses in a network of {@code a} and in one of {@code b}, in {@code b}'s order. */
    public static List<Network> intersect(List<Network> a, List<Network> b) {
      LinkedHashSet<Network> out = new LinkedHashSet<>();
      for (Network y : b) {
        for (Network x : a) {
          Network both = x.intersect(y);
          if (both != null) {
            out.add(both);
          }
        }
      }
      return List.copyOf(out);
    }

    public boolean contains(IpAddress a) {
      if (!net.contains(a)) {
        return false;
      }
      for (Cidr e : except) {
        if (e.contains(a)) {
          return false;
        }
      }
      return true;
    }
  }
}
