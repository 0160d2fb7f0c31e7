package dev.portolan.policy.model;

/** A Kubernetes object named in provenance and reports: kind, namespace (may be empty), name. */
public record ObjectRef(String kind, String namespace, String name) {
  public static ObjectRef pod(String ns, String name) {
    return new ObjectRef("Pod", ns, name);
  }

  public static ObjectRef service(String ns, String name) {
    return new ObjectRef("Service", ns, name);
  }

  public static ObjectRef namespace(String name) {
    return new ObjectRef("Namespace", "", name);
  }

  public static ObjectRef server(String ns, String name) {
    return new ObjectRef("Server", ns, name);
  }

  @Override
  public String toString() {
    return namespace.isEmpty() ? kind + "/" + name : kind + "/" + namespace + "/" + name;
  }
}
