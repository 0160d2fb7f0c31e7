package dev.portolan.policy.source.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.util.unit.DataSize;

/** The parser's limits at their edges, and the ordinary errors it reports with their line. */
class ManifestFileTest {
  static final Path FILE = Path.of("/m/f.yaml");
  static final ManifestsLimits SMALL = new ManifestsLimits(DataSize.ofKilobytes(64), 3, 4, 2, 40);
  static final String POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: %s, namespace: t}\n";

  static ManifestFile.Result parse(String yaml) {
    return ManifestFile.parse(FILE, yaml, SMALL);
  }

  static String pod(String name) {
    return POD.formatted(name);
  }

  /** Nesting {@code depth} levels of flow sequences under one key (the mapping is level 1). */
  static String nested(int depth) {
    return pod("p") + "x: " + "[".repeat(depth - 1) + "]".repeat(depth - 1) + "\n";
  }

  static Stream<Arguments> accepted() {
    return Stream.of(
        Arguments.of(
            "three documents, the limit", pod("a") + "---\n" + pod("b") + "---\n" + pod("c"), 3),
        Arguments.of("empty documents count but hold nothing", "---\n---\n" + pod("a"), 1),
        Arguments.of("nesting at the limit", nested(4), 1),
        Arguments.of("two aliases, the limit", pod("a") + "x: &v [1]\ny: *v\nz: *v\n", 1),
        Arguments.of(
            "an alias to an anchor redefined inside its first definition",
            pod("a") + "x: &v [&v 1, *v]\n",
            1),
        Arguments.of(
            "a JSON document",
            "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"j\"}}",
            1),
        Arguments.of("a byte order mark", "\uFEFF" + pod("bom"), 1),
        Arguments.of(
            "kind: List",
            "apiVersion: v1\nkind: List\nitems:\n- "
                + pod("a").replace("\n", "\n  ").strip()
                + "\n- "
                + pod("b").replace("\n", "\n  ").strip()
                + "\n",
            2));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("accepted")
  void accepts(String what, String yaml, int objects) {
    ManifestFile.Result r = parse(yaml);
    assertThat(r.error()).isNull();
    assertThat(r.objects()).hasSize(objects);
  }

  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of(
            "four document markers, refused before parsing",
            "---\n" + pod("a") + "---\n" + pod("b") + "---\n" + pod("c") + "---\n" + pod("d"),
            0,
            "4 documents, more than 3"),
        Arguments.of(
            "a fourth document, the first without a marker",
            pod("a") + "---\n" + pod("b") + "---\n" + pod("c") + "---\n" + pod("d"),
            12,
            "more than 3 documents"),
        Arguments.of("nesting past the limit", nested(5), 4, "nested deeper than 4 levels"),
        Arguments.of(
            "a third alias", pod("a") + "x: &v 1\ny: *v\nz: *v\nw: *v\n", 7, "more than 2 aliases"),
        Arguments.of(
            "aliases that stand for too much",
            pod("a") + "x: &v [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19]\ny: *v\n",
            5,
            "aliases make the file stand for more than 40 nodes"),
        Arguments.of(
            "too many nodes",
            pod("a") + "x: [" + "1,".repeat(40) + "1]\n",
            4,
            "the file holds more than 40 nodes"),
        Arguments.of(
            "an alias inside its own anchor",
            pod("a") + "x: &v [1, *v]\n",
            4,
            "refers to a node that contains it"),
        Arguments.of(
            "an unclosed flow sequence",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n",
            4,
            "flow sequence"),
        Arguments.of("a tab for indentation", pod("a") + "spec:\n\tcontainers: []\n", 5, "TAB"),
        Arguments.of("a duplicate key", pod("a") + "kind: Service\n", 1, "duplicate key"),
        Arguments.of("an undefined alias", pod("a") + "x: *nope\n", 4, "undefined alias"),
        Arguments.of(
            "a sequence document", "- a\n- b\n", 1, "not a Kubernetes object (a YAML sequence)"),
        Arguments.of(
            "no metadata.name",
            "apiVersion: v1\nkind: Pod\nmetadata: {namespace: t}\n",
            1,
            "Pod without metadata.name"),
        Arguments.of(
            "a field of the wrong type names its path",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: [x]}\n",
            1,
            "metadata.labels: "));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void refuses_with_the_line_and_reason(String what, String yaml, int line, String reason) {
    ManifestFile.Result r = parse(yaml);
    assertThat(r.error()).isNotNull();
    assertThat(r.error().reason()).contains(reason);
    assertThat(r.error().line()).isEqualTo(line);
    assertThat(r.objects()).isEmpty();
  }

  @Test
  void a_scalar_of_many_megabytes_is_parsed_in_linear_time() {
    // SnakeYAML's default 1 Ki buffer copies the unread window on every refill: quadratic in the
    // longest token (4 MiB took 7 s, 8 MiB 28 s here). With the buffer sized to the text, a 4 MiB
    // scalar takes tens of milliseconds; printed, not asserted (shared machines vary).
    ManifestsLimits roomy = new ManifestsLimits(DataSize.ofMegabytes(8), 10, 10, 10, 100);
    String yaml = pod("big") + "x: " + "a".repeat(4 << 20) + "\n";
    ManifestFile.parse(FILE, pod("warm-up"), roomy); // loads fabric8's model classes
    long start = System.nanoTime();
    ManifestFile.Result r = ManifestFile.parse(FILE, yaml, roomy);
    System.out.printf("a 4 MiB scalar parsed in %d ms%n", (System.nanoTime() - start) / 1_000_000);
    assertThat(r.error()).isNull();
  }

  @Test
  void document_markers_are_counted_only_at_the_start_of_a_line() {
    assertThat(ManifestFile.documentMarkers("---\na: 1\n--- \nb: ---\n---x\n  ---\n---"))
        .isEqualTo(3);
  }
}
