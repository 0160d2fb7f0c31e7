package dev.portolan.policy.index;

import dev.portolan.policy.resolve.ClientClass;
import dev.portolan.policy.resolve.EndpointSet;
import dev.portolan.policy.resolve.Overlay;
import dev.portolan.policy.resolve.Resolver;

/**
 * Destination.Get: the endpoints of a Service port. The same for every client: who asks is not part
 * of the key, so every proxy watching a Service shares one topic (docs/design/streams.md).
 */
public record EndpointsKey(String namespace, String service, int port)
    implements TopicKey<EndpointSet> {

  @Override
  public EndpointSet compute(Resolver resolver, Snapshot snapshot) {
    return resolver.endpoints(snapshot, namespace, service, port);
  }

  /** Everything an endpoint set reads (Pods, Servers, slices, annotations) is in its namespace. */
  @Override
  public boolean affectedBy(ChangeSet changes, EndpointSet last) {
    return changes.namespaces().contains(namespace);
  }

  @Override
  public Overlay overlay(
      Resolver resolver, Snapshot snapshot, EndpointSet value, ClientClass client) {
    return resolver.overlay(snapshot, value.endpoints(), client);
  }
}
