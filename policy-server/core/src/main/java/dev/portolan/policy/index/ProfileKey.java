package dev.portolan.policy.index;

import dev.portolan.policy.resolve.Authority;
import dev.portolan.policy.resolve.ClientContext;
import dev.portolan.policy.resolve.Profile;
import dev.portolan.policy.resolve.Resolver;

/** Destination.GetProfile for a name:port or ip:port. */
public record ProfileKey(Authority authority, ClientContext client, String clusterDomain)
    implements TopicKey<Profile> {

  @Override
  public Profile compute(Resolver resolver, Snapshot snapshot) {
    return resolver.profile(snapshot, authority, client);
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
}
