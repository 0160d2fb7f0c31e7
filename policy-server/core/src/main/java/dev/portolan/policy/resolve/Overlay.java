package dev.portolan.policy.resolve;

import java.util.List;
import java.util.Set;

/**
 * What one {@link ClientClass} is told differently from the shared answer: the endpoint addresses
 * whose {@code opaque_transport} (the rewrite to the inbound proxy port) is withheld from it
 * (docs/design/networkpolicy.md). Small by construction: a set of addresses, never a copy of the
 * endpoints; most classes share {@link #NONE}.
 *
 * @param withheld addresses ({@link Endpoint#address()}) told not to rewrite
 */
public record Overlay(Set<String> withheld) {
  public static final Overlay NONE = new Overlay(Set.of());

  public Overlay {
    withheld = Set.copyOf(withheld);
  }

  public boolean isNone() {
    return withheld.isEmpty();
  }

  public boolean withholds(String address) {
    return withheld.contains(address);
  }

  /** The endpoint as this class sees it. */
  public Endpoint apply(Endpoint e) {
    if (e.hint() == null || e.hint().opaqueTransportPort() == 0 || !withholds(e.address())) {
      return e;
    }
    return e.withHint(new Endpoint.Hint(e.hint().opaque(), 0));
  }

  /** The set as this class sees it; the same object when nothing is withheld. */
  public EndpointSet apply(EndpointSet set) {
    if (isNone()) {
      return set;
    }
    List<Endpoint> out = set.endpoints().stream().map(this::apply).toList();
    return new EndpointSet(set.exists(), set.labels(), out);
  }

  /** The profile as this class sees it; the same object when nothing is withheld. */
  public Profile apply(Profile p) {
    if (isNone() || p.endpoint() == null) {
      return p;
    }
    return new Profile(p.fullyQualifiedName(), p.protocol(), apply(p.endpoint()), p.target());
  }
}
