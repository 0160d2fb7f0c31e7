package dev.portolan.tools.cli.inject;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.tools.cli.Portolan;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code portolan inject} through the command line's entry point, stdout and stderr captured.
 * Golden files under {@code src/test/resources/inject} ({@code NAME.in.yaml} in, {@code
 * NAME.out.yaml} expected) are compared as text: a document the injector leaves alone must come out
 * byte for byte. {@code -Dgolden.update=true} rewrites the {@code .out.yaml} files from the current
 * output instead: review the diff before committing it.
 */
class InjectCommandTest {
  private static final Path DIR = Path.of("src/test/resources/inject");

  record Run(int status, String out, String err) {}

  @TempDir Path tmp;

  static Run run(String stdin, String... argv) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    InputStream in = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
    int status =
        new Portolan(List.of(new InjectCommand(in)))
            .run(
                List.of(argv),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(
        status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static String resource(String name) {
    try {
      return Files.readString(DIR.resolve(name), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs {@code NAME.in.yaml} from stdin and compares stdout with {@code NAME.out.yaml}. */
  static Run golden(String name, String... extra) {
    List<String> argv = new ArrayList<>(List.of("inject", "-f", "-"));
    argv.addAll(List.of(extra));
    Run r = run(resource(name + ".in.yaml"), argv.toArray(String[]::new));
    assertThat(r.status()).as(r.err()).isZero();
    if (Boolean.getBoolean("golden.update")) {
      try {
        Files.writeString(DIR.resolve(name + ".out.yaml"), r.out(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    } else {
      assertThat(r.out()).isEqualTo(resource(name + ".out.yaml"));
    }
    return r;
  }

  @Test
  void a_deployment_gets_the_proxy_in_its_pod_template() {
    Run r = golden("deployment");
    assertThat(r.err()).isEqualTo("Deployment shop/web (stdin, document 1, line 1): injected\n");
    assertThat(r.out())
        .startsWith("apiVersion: apps/v1\nkind: Deployment\n")
        .contains("        linkerd.io/control-plane-ns: portolan\n")
        .contains("image: portolan/proxy:0.1.0")
        .contains("value: portolan-policy.portolan.svc.cluster.local:8086");
  }

  @Test
  void a_bare_pod_is_injected_with_its_skip_ports_for_proxy_init() {
    Run r = golden("pod");
    assertThat(r.err()).isEqualTo("Pod shop/db-0 (stdin, document 1, line 1): injected\n");
    assertThat(r.out()).contains("- --skip-outbound-ports\n    - \"5432\"\n");
  }

  @Test
  void a_list_keeps_its_service_and_injects_its_deployment() {
    Run r = golden("list");
    assertThat(r.err())
        .isEqualTo("Deployment shop/api (stdin, document 1, line 1, items[1]): injected\n");
    // The workload's own annotation is copied to the template, where the webhook reads it.
    assertThat(r.out()).contains("        annotations:\n          linkerd.io/inject: enabled\n");
    assertThat(r.out())
        .contains(
            "- apiVersion: v1\n  kind: Service\n  metadata:\n    name: api\n"
                + "    namespace: shop\n  spec:\n    selector:\n      app: api\n"
                + "    ports:\n    - port: 80\n      targetPort: 8080\n");
  }

  @Test
  void an_already_injected_pod_comes_out_as_it_went_in() {
    String injected = resource("pod.out.yaml");
    Run r = run(injected, "inject", "--force");
    assertThat(r.status()).isZero();
    assertThat(r.out()).isEqualTo(injected);
    assertThat(r.err())
        .isEqualTo(
            "Pod shop/db-0 (stdin, document 1, line 1): not injected: already injected: it has a"
                + " portolan-proxy container\n");
  }

  @Test
  void a_cronjob_is_injected_in_its_job_template() {
    Run r = golden("cronjob");
    assertThat(r.err()).isEqualTo("CronJob shop/nightly (stdin, document 1, line 1): injected\n");
    assertThat(r.out()).contains("  jobTemplate:\n    spec:\n      template:\n        metadata:\n");
  }

  @Test
  void a_bad_annotation_is_warned_about_and_the_pod_still_injected() {
    Run r = golden("bad-annotation");
    // The Namespace in the same input decides, since the Pod's value is not one it reads.
    assertThat(r.err())
        .isEqualTo(
            """
            Pod shop/worker (stdin, document 2, line 8): injected
            warning: Pod shop/worker (stdin, document 2, line 8): annotation linkerd.io/inject: \
            'yes' is not one of enabled, disabled, ingress (ignored)
            warning: Pod shop/worker (stdin, document 2, line 8): annotation \
            config.linkerd.io/skip-inbound-ports: token 2 'x': unknown port name (ignored)
            warning: Pod shop/worker (stdin, document 2, line 8): annotation \
            config.linkerd.io/skip-inbound-ports: token 3 '70000': 70000 is out of range 1-65535 (ignored)
            """);
    assertThat(r.out()).contains("- --skip-inbound-ports\n    - \"4190-4191,9000\"\n");
    // The Namespace document is written back as it was, comment and all.
    assertThat(r.out()).startsWith(resource("bad-annotation.in.yaml").split("---\n")[0] + "---\n");
  }

  @Test
  void malformed_yaml_names_the_document_and_line_and_writes_nothing() {
    Run r = run(resource("malformed.in.yaml"), "inject");
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .isEqualTo(
            "portolan inject: stdin, document 2 (from line 5): not valid YAML at line 10, column 13:"
                + " mapping values are not allowed here\n");
  }

  @Test
  void a_document_that_is_not_an_object_is_an_error() {
    Run r = run("apiVersion: v1\nkind: List\nitems: []\n---\n- just\n- a list\n", "inject");
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err())
        .isEqualTo(
            "portolan inject: stdin, document 2 (from line 4): not a Kubernetes object: a array"
                + " where a mapping with apiVersion and kind was expected\n");
  }

  @ParameterizedTest
  @ValueSource(strings = {"deployment", "pod", "list", "cronjob", "bad-annotation"})
  void injecting_twice_gives_the_same_output(String name) {
    Run once = run(resource(name + ".in.yaml"), "inject");
    Run twice = run(once.out(), "inject");
    assertThat(twice.status()).isZero();
    assertThat(twice.out()).isEqualTo(once.out());
    assertThat(twice.err()).doesNotContain(": injected");
  }

  @Test
  void unannotated_pods_are_left_alone_unless_their_namespace_file_or_force_says()
      throws Exception {
    String pod =
        """
        apiVersion: v1
        kind: Pod
        metadata:
          name: plain
          namespace: shop
        spec:
          containers:
          - name: app
            image: app:1
        """;
    Run alone = run(pod, "inject");
    assertThat(alone.out()).isEqualTo(pod);
    assertThat(alone.err())
        .isEqualTo(
            "Pod shop/plain (stdin, document 1, line 1): not injected: neither the pod nor"
                + " namespace shop has linkerd.io/inject: enabled\n");

    Path ns = tmp.resolve("ns.yaml");
    Files.writeString(
        ns,
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  annotations:\n"
            + "    linkerd.io/inject: enabled\n    config.linkerd.io/skip-inbound-ports: \"7000\"\n");
    Run byNamespace = run(pod, "inject", "--namespace-file", ns.toString());
    assertThat(byNamespace.err()).contains(": injected");
    assertThat(byNamespace.out()).contains("- \"4190-4191,7000\"");

    Run forced = run(pod, "inject", "--force");
    assertThat(forced.err()).contains(": injected");
    assertThat(forced.out()).contains("name: portolan-proxy");

    String disabled =
        pod.replace(
            "  namespace: shop\n",
            "  namespace: shop\n  annotations:\n    linkerd.io/inject: disabled\n");
    Run optedOut = run(disabled, "inject", "--force");
    assertThat(optedOut.out()).isEqualTo(disabled);
    assertThat(optedOut.err()).contains("not injected: annotation linkerd.io/inject: disabled");
  }

  @Test
  void set_overrides_install_defaults_by_the_webhooks_property_names() {
    Run r =
        run(
            resource("pod.in.yaml"),
            "inject",
            "--set",
            "portolan.injector.proxy.image=registry.example/proxy:9.9",
            "--set=portolan.control-plane-namespace=mesh",
            "--set",
            "portolan.injector.proxyInit.ignoreInboundPorts=22",
            "--set",
            "portolan.injector.proxy.resources.requests.cpu=1");
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("image: registry.example/proxy:9.9")
        .contains("linkerd.io/proxy-version: \"9.9\"")
        .contains("linkerd.io/control-plane-ns: mesh")
        .contains("value: portolan-policy.mesh.svc.cluster.local:8086")
        .contains("- \"22,4190-4191\"")
        .contains("resources:\n      requests:\n        cpu: \"1\"\n    securityContext");
  }

  @Test
  void unknown_or_invalid_settings_are_usage_errors() {
    Run unknown = run("", "inject", "--set", "portolan.injector.proxy.colour=red");
    assertThat(unknown.status()).isEqualTo(2);
    assertThat(unknown.err())
        .startsWith(
            "portolan inject: --set portolan.injector.proxy.colour: not a setting of the injector;"
                + " known: portolan.control-plane-namespace,");

    Run invalid = run("", "inject", "--set", "portolan.injector.proxy-init.iptables-mode=ebpf");
    assertThat(invalid.status()).isEqualTo(2);
    assertThat(invalid.err())
        .startsWith(
            "portolan inject: invalid settings: portolan.injector.proxy-init.iptables-mode: 'ebpf'"
                + " is not one of legacy, nft\n");
  }

  @Test
  void reads_a_file_and_names_it_in_messages() throws Exception {
    Path f = tmp.resolve("web.yaml");
    Files.writeString(f, resource("deployment.in.yaml"));
    Run r = run("", "inject", "-f", f.toString());
    assertThat(r.out()).isEqualTo(resource("deployment.out.yaml"));
    assertThat(r.err())
        .isEqualTo("Deployment shop/web (" + f + ", document 1, line 1): injected\n");

    Run missing = run("", "inject", "-f", tmp.resolve("nope.yaml").toString());
    assertThat(missing.status()).isEqualTo(1);
    assertThat(missing.err()).startsWith("portolan inject: cannot read ");
  }
}
