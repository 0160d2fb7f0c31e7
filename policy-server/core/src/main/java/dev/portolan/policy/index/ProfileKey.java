package dev.portolan.policy.index;

import dev.portolan.policy.resolve.Authority;
import dev.portolan.policy.resolve.ClientClass;
import dev.portolan.policy.resolve.Overlay;
import dev.portolan.policy.resolve.Profile;
import dev.portolan.policy.resolve.Resolver;
import java.util.List;

/**
 * Destination.GetProfile for a name:port or ip:port; the same for every client, like {@link
 * EndpointsKey}.
 */
public record ProfileKey(Authority authority, String clusterDomain) implements TopicKey<Profile> {

  @Override
  public Profile compute(Resolver resolver, Snapshot snapshot) {
    return resolver.profile(snapshot, authority);
  }

  @Override
  public boolean affectedBy(ChangeSet changes, Profile last) {
    if (authority.isIp()) {
      return changes.ips().contains(authority.host())
          || (last.target() != null && changes.namespaces().contains(last.target().namespace()));
    }
    Authority.ServiceName sn = authority.serviceName(clusterDomain);
    // A name outside the cluster domain always gets the defaults: nothing can change it.
    return sn != null && changes.namespaces().contains(sn.namespace());
  }

  @Override
  public Overlay overlay(Resolver resolver, Snapshot snapshot, Profile value, ClientClass client) {
    return value.endpoint() == null
        ? Overlay.NONE
        : resolver.overlay(snapshot, List.of(value.endpoint()), client);
  }
}
