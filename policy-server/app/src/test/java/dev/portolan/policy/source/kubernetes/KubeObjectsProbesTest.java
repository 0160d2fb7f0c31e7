package dev.portolan.policy.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.model.HttpProbe;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.source.KubeObjects;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import org.junit.jupiter.api.Test;

/** The kubelet's HTTP probes read from a Pod, before and after the informer's trim. */
class KubeObjectsProbesTest {

  static Probe http(String path, Object port, String scheme) {
    var b = new ProbeBuilder().withNewHttpGet().withPath(path).withScheme(scheme);
    b = port instanceof Integer i ? b.withNewPort(i) : b.withNewPort(String.valueOf(port));
    return b.endHttpGet().withPeriodSeconds(5).build();
  }

  static Pod pod() {
    return new PodBuilder()
        .withNewMetadata()
        .withName("web-0")
        .withNamespace("ns")
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("main")
        .addNewPort()
        .withName("http")
        .withContainerPort(8080)
        .endPort()
        .withReadinessProbe(http("/ready", "http", null))
        .withLivenessProbe(http("/live", 8080, "HTTP"))
        .withStartupProbe(http("/tls", 8080, "HTTPS"))
        .endContainer()
        .addNewContainer()
        .withName("other")
        .withLivenessProbe(http("/nope", "http", null)) // "http" is not this container's port
        .withReadinessProbe(
            new ProbeBuilder().withNewTcpSocket().withNewPort(9000).endTcpSocket().build())
        .withStartupProbe(http(null, 9000, null))
        .endContainer()
        .endSpec()
        .build();
  }

  @Test
  void http_probes_resolve_their_port_and_https_tcp_and_unknown_names_are_left_out() {
    PodInfo p = KubeObjects.pod(pod());
    assertThat(p.probes())
        .containsExactly(
            new HttpProbe(8080, "/live"), new HttpProbe(8080, "/ready"), new HttpProbe(9000, "/"));
    assertThat(p.probePaths(8080)).containsExactly("/live", "/ready");
  }

  @Test
  void the_trim_keeps_what_the_probes_need() {
    Pod trimmed = (Pod) Trim.trim(pod());
    assertThat(KubeObjects.pod(trimmed).probes()).isEqualTo(KubeObjects.pod(pod()).probes());
    assertThat(trimmed.getSpec().getContainers().getFirst().getLivenessProbe().getPeriodSeconds())
        .as("only httpGet is kept")
        .isNull();
  }
}
