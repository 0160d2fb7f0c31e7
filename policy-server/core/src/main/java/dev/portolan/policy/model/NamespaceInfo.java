package dev.portolan.policy.model;

import java.util.Map;

/** A Namespace: its annotations apply live to its Pods and Services. */
public record NamespaceInfo(
    String name, Map<String, String> labels, Map<String, String> annotations) implements Resource {
  public NamespaceInfo {
    labels = Map.copyOf(labels);
    annotations = Map.copyOf(annotations);
  }

  @Override
  public Kind kind() {
    return Kind.NAMESPACE;
  }

  @Override
  public String namespace() {
    return "";
  }

  public ObjectRef ref() {
    return ObjectRef.namespace(name);
  }
}
