package dev.portolan.policy.model;

/** A trimmed cluster object the rules read. One record per kind; sources build them. */
public sealed interface Resource
    permits NamespaceInfo, PodInfo, ServiceInfo, EndpointSliceInfo, ServerInfo, NetworkPolicyInfo {

  enum Kind {
    NAMESPACE,
    POD,
    SERVICE,
    ENDPOINT_SLICE,
    SERVER,
    NETWORK_POLICY
  }

  Kind kind();

  /** Empty for cluster-scoped objects (Namespaces). */
  String namespace();

  String name();

  default Key key() {
    return new Key(kind(), namespace(), name());
  }

  /** Identifies an object across versions. */
  record Key(Kind kind, String namespace, String name) {
    @Override
    public String toString() {
      return kind + ":" + (namespace.isEmpty() ? "" : namespace + "/") + name;
    }
  }
}
