package dev.portolan.policy.model;

import java.util.List;

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
  /** Every IPv4 and IPv6 address. */
  public static final List<Network> ALL_NETWORKS =
      List.of(new Network(Cidr.parse("0.0.0.0/0")), new Network(Cidr.parse("::/0")));

  public Authorization {
    networks = List.copyOf(networks);
    if (networks.isEmpty()) {
      throw new IllegalArgumentException("authorization " + name + " has no networks");
    }
  }

  /** Whether a client at {@code source} with this mesh identity (null: none) is admitted. */
  public boolean admits(IpAddress source, @org.jspecify.annotations.Nullable String identity) {
    boolean inNetwork = false;
    for (Network n : networks) {
      if (n.contains(source)) {
        inNetwork = true;
        break;
      }
    }
    return inNetwork && authentication.admits(identity);
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
