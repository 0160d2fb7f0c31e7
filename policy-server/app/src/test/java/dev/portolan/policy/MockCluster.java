package dev.portolan.policy;

import dev.portolan.policy.source.kubernetes.KubernetesSource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Writes objects through the fabric8 client, as kubectl apply would, to a (mock) API server. */
public final class MockCluster implements ClusterDriver {
  private final KubernetesClient client;
  private final Map<String, List<HasMetadata>> groups = new HashMap<>();

  public MockCluster(KubernetesClient client) {
    this.client = client;
  }

  @Override
  public synchronized MockCluster write(String group, String yaml) {
    List<HasMetadata> objects =
        client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items();
    List<HasMetadata> before = groups.getOrDefault(group, List.of());
    for (HasMetadata o : objects) {
      if (o.getMetadata().getNamespace() == null && !"Namespace".equals(o.getKind())) {
        o.getMetadata().setNamespace("default");
      }
      apply(o);
    }
    for (HasMetadata old : before) {
      if (objects.stream().noneMatch(o -> same(o, old))) {
        remove(old);
      }
    }
    groups.put(group, new ArrayList<>(objects));
    return this;
  }

  @Override
  public synchronized MockCluster delete(String group) {
    for (HasMetadata old : groups.getOrDefault(group, List.of())) {
      remove(old);
    }
    groups.remove(group);
    return this;
  }

  private void apply(HasMetadata o) {
    if (o instanceof GenericKubernetesResource g && "Server".equals(g.getKind())) {
      client
          .genericKubernetesResources(KubernetesSource.SERVERS)
          .inNamespace(g.getMetadata().getNamespace())
          .resource(g)
          .createOr(NonDeletingOperation::update);
    } else {
      client.resource(o).createOr(NonDeletingOperation::update);
    }
  }

  private void remove(HasMetadata o) {
    if (o instanceof GenericKubernetesResource g && "Server".equals(g.getKind())) {
      client
          .genericKubernetesResources(KubernetesSource.SERVERS)
          .inNamespace(g.getMetadata().getNamespace())
          .withName(g.getMetadata().getName())
          .delete();
    } else {
      client.resource(o).delete();
    }
  }

  private static boolean same(HasMetadata a, HasMetadata b) {
    return a.getKind().equals(b.getKind())
        && a.getMetadata().getName().equals(b.getMetadata().getName())
        && java.util.Objects.equals(a.getMetadata().getNamespace(), b.getMetadata().getNamespace());
  }
}
