package dev.portolan.policy.index;

import dev.portolan.policy.resolve.ClientContext;
import dev.portolan.policy.resolve.EndpointSet;
import dev.portolan.policy.resolve.Resolver;

/** Destination.Get: the endpoints of a Service port as one client should see them. */
public record EndpointsKey(String namespace, String service, int port, ClientContext client)
    implements TopicKey<EndpointSet> {

  @Override
  public EndpointSet compute(Resolver resolver, Snapshot snapshot) {
    return resolver.endpoints(snapshot, namespace, service, port, client);
  }

  /** Everything an endpoint set reads (Pods, Servers, slices, annotations) is in its namespace. */
  @Override
  public boolean affectedBy(ChangeSet changes, EndpointSet last) {
    return changes.namespaces().contains(namespace);
  }
}
