package dev.portolan.inject;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;

/** Pod fixtures: {@code Pods.pod("web").annotate(k, v).port("http", 8080).build()}. */
final class Pods {
  private final PodBuilder b;

  private Pods(String name) {
    b =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("app")
            .withImage("app:1")
            .endContainer()
            .endSpec();
  }

  static Pods pod(String name) {
    return new Pods(name);
  }

  Pods annotate(String key, String value) {
    b.editMetadata().addToAnnotations(key, value).endMetadata();
    return this;
  }

  Pods label(String key, String value) {
    b.editMetadata().addToLabels(key, value).endMetadata();
    return this;
  }

  Pods port(String name, int port) {
    b.editSpec()
        .editFirstContainer()
        .addNewPort()
        .withName(name)
        .withContainerPort(port)
        .endPort()
        .endContainer()
        .endSpec();
    return this;
  }

  Pods container(String name) {
    b.editSpec().addNewContainer().withName(name).withImage(name + ":1").endContainer().endSpec();
    return this;
  }

  Pods hostNetwork() {
    b.editSpec().withHostNetwork(true).endSpec();
    return this;
  }

  Pod build() {
    return b.build();
  }
}
