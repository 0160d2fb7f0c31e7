package dev.portolan.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;

/**
 * Applies rendered objects to an API server as {@code kubectl apply} would (create, or update what
 * exists), and checks that each reads back with the content that was sent.
 */
final class Apply {
  private Apply() {}

  static void all(KubernetesClient client, Chart.Manifest manifest) {
    for (HasMetadata o : manifest.objects()) {
      one(client, o);
    }
    for (HasMetadata o : manifest.objects()) {
      HasMetadata stored = client.resource(o).get();
      assertThat(stored).as("%s/%s stored", o.getKind(), o.getMetadata().getName()).isNotNull();
      assertThat(comparable(stored))
          .as("%s/%s as stored", o.getKind(), o.getMetadata().getName())
          .isEqualTo(comparable(o));
    }
  }

  static void one(KubernetesClient client, HasMetadata o) {
    client.resource(o).createOr(NonDeletingOperation::update);
  }

  /** The object as JSON, with only the metadata a client writes (the server adds the rest). */
  private static String comparable(HasMetadata o) {
    HasMetadata copy = Chart.SERIALIZATION.clone(o);
    ObjectMeta m = copy.getMetadata();
    copy.setMetadata(
        new ObjectMetaBuilder()
            .withName(m.getName())
            .withNamespace(m.getNamespace())
            .withLabels(m.getLabels())
            .withAnnotations(m.getAnnotations())
            .build());
    return Chart.SERIALIZATION.asJson(copy);
  }
}
