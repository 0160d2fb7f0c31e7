package dev.portolan.policy.source.manifests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.portolan.policy.ManifestDir;
import dev.portolan.policy.index.Change;
import dev.portolan.policy.index.Index;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.resolve.Resolver;
import dev.portolan.policy.source.ClusterSink;
import dev.portolan.policy.source.SyncState;
import dev.portolan.policy.source.TokenReports;
import dev.portolan.policy.web.ManifestsEndpoint;
import dev.portolan.policy.web.SourceHealthIndicator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * The manifests source on a real directory, feeding a real index: a file that is hostile or broken
 * fails alone, is reported, and the watcher keeps applying every other edit.
 */
class ManifestsSourceTest {
  final ManifestDir dir = new ManifestDir("portolan-manifests");
  final Index index = new Index(new Resolver(MeshSettings.defaults()));
  final SyncState sync = new SyncState();
  final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  ManifestsSource source;

  ManifestsSourceTest() {
    logs.start();
    ((Logger) LoggerFactory.getLogger(ManifestsSource.class)).addAppender(logs);
  }

  @AfterEach
  void close() {
    ((Logger) LoggerFactory.getLogger(ManifestsSource.class)).detachAppender(logs);
    if (source != null) {
      source.close();
    }
    index.close();
  }

  private ManifestsSource start(ClusterSink sink) {
    source = new ManifestsSource(dir.path(), Duration.ofMillis(20), sink, sync);
    source.start();
    return source;
  }

  private ManifestsSource start() {
    return start(new ClusterSink(index, new TokenReports(new SimpleMeterRegistry())));
  }

  private boolean served(String pod) {
    return index.flush().join().pod("t", pod) != null;
  }

  private static String pod(String name, int n) {
    return dev.portolan.policy.Yaml.pod("t", name, "app", "10.42.0." + n, "http", 8080);
  }

  private Map<String, Object> status() {
    var beans = new StaticListableBeanFactory(Map.of("manifestsSource", source));
    return new ManifestsEndpoint(beans.getBeanProvider(ManifestsSource.class)).status();
  }

  private List<String> errorFiles() {
    return source.errors().stream().map(e -> dir.path().relativize(e.file()).toString()).toList();
  }

  /** 16 levels of 3 aliases each: 48 aliases (under 50) that stand for 3^17 strings. */
  static String aliasBomb(String name) {
    StringBuilder b = new StringBuilder();
    b.append("apiVersion: v1\nkind: Pod\nmetadata: {name: ").append(name);
    b.append(", namespace: t}\nl0: &l0 [lol, lol, lol]\n");
    for (int i = 1; i < 16; i++) {
      String prev = "*l" + (i - 1);
      b.append("l%d: &l%d [%s, %s, %s]\n".formatted(i, i, prev, prev, prev));
    }
    b.append("l16: [*l15, *l15, *l15]\n");
    return b.toString();
  }

  @Test
  void an_alias_bomb_fails_its_file_which_keeps_its_last_good_content() {
    dir.write("a.yaml", pod("a", 1));
    start();
    assertThat(served("a")).isTrue();

    dir.write("a.yaml", aliasBomb("a"));
    dir.write("b.yaml", pod("b", 2));

    await().atMost(Duration.ofSeconds(10)).until(() -> served("b"));
    await().until(() -> errorFiles().contains("a.yaml"));
    assertThat(source.errors().getFirst().reason()).contains("alias");
    assertThat(served("a")).as("a.yaml's last good content").isTrue();
  }

  @Test
  void deep_nesting_fails_its_file_without_overflowing_the_stack() {
    start();
    int depth = 100_000;
    dir.write("deep.yaml", "a: " + "[".repeat(depth) + "]".repeat(depth) + "\n");
    dir.write("b.yaml", pod("b", 2));

    await().atMost(Duration.ofSeconds(10)).until(() -> served("b"));
    await().until(() -> errorFiles().contains("deep.yaml"));
    assertThat(source.errors().getFirst().reason()).contains("nest");
  }

  @Test
  void a_recursive_alias_fails_its_file() {
    start();
    dir.write(
        "rec.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: rec, namespace: t}\nloop: &x [*x]\n");
    dir.write("b.yaml", pod("b", 2));

    await().atMost(Duration.ofSeconds(10)).until(() -> served("b"));
    await().until(() -> errorFiles().contains("rec.yaml"));
    assertThat(served("rec")).isFalse();
  }

  @Test
  void dangling_links_and_link_loops_are_reported_per_path() throws IOException {
    Path d = dir.path();
    dir.write("good.yaml", pod("good", 1));
    Files.createSymbolicLink(d.resolve("dangling.yaml"), d.resolve("missing.yaml"));
    Files.createSymbolicLink(d.resolve("loop1.yaml"), d.resolve("loop2.yaml"));
    Files.createSymbolicLink(d.resolve("loop2.yaml"), d.resolve("loop1.yaml"));
    Files.createDirectories(d.resolve("sub"));
    Files.createSymbolicLink(d.resolve("sub/up"), d);
    Files.createDirectories(d.resolve("real"));
    Files.writeString(d.resolve("real/linked.yaml"), pod("linked", 2));
    Files.createSymbolicLink(d.resolve("via-link.yaml"), d.resolve("real/linked.yaml"));
    start();

    assertThat(served("good")).isTrue();
    assertThat(served("linked")).isTrue();
    assertThat(errorFiles())
        .containsExactlyInAnyOrder("dangling.yaml", "loop1.yaml", "loop2.yaml", "sub/up");
    assertThat(source.errors())
        .filteredOn(e -> e.file().endsWith("dangling.yaml"))
        .singleElement()
        .satisfies(e -> assertThat(e.reason()).contains("missing.yaml"));
    assertThat(source.errors())
        .filteredOn(e -> e.file().endsWith("loop1.yaml"))
        .singleElement()
        .satisfies(e -> assertThat(e.reason()).contains("loop"));
    assertThat(source.errors())
        .filteredOn(e -> e.file().endsWith("up"))
        .singleElement()
        .satisfies(e -> assertThat(e.reason()).contains("loop"));
  }

  @Test
  void a_file_that_becomes_a_dangling_link_keeps_its_content_until_it_is_deleted()
      throws IOException {
    dir.write("a.yaml", pod("a", 1));
    start();
    Path a = dir.path().resolve("a.yaml");
    Path tmp = dir.path().resolve(".#tmp-link");
    Files.createSymbolicLink(tmp, dir.path().resolve("gone.yaml"));
    Files.move(tmp, a, StandardCopyOption.ATOMIC_MOVE);

    await().until(() -> errorFiles().contains("a.yaml"));
    assertThat(served("a")).isTrue();

    Files.delete(a);
    await().until(() -> !served("a"));
    assertThat(source.errors()).isEmpty();
  }

  @Test
  void a_mounted_config_map_is_read_once_and_its_atomic_swap_is_applied() throws IOException {
    // The kubelet's layout: files are links into ..data, a link to a timestamped directory.
    Path d = dir.path();
    Files.createDirectory(d.resolve("..2025_01_01"));
    Files.writeString(d.resolve("..2025_01_01/app.yaml"), pod("v1", 1));
    Files.createSymbolicLink(d.resolve("..data"), Path.of("..2025_01_01"));
    Files.createSymbolicLink(d.resolve("app.yaml"), Path.of("..data/app.yaml"));
    start();
    assertThat(served("v1")).isTrue();
    assertThat(status().get("files")).isEqualTo(1);

    // An update: a new directory, then a new link renamed over ..data.
    Files.createDirectory(d.resolve("..2025_01_02"));
    Files.writeString(d.resolve("..2025_01_02/app.yaml"), pod("v2", 2));
    Files.createSymbolicLink(d.resolve("..data_tmp"), Path.of("..2025_01_02"));
    Files.move(d.resolve("..data_tmp"), d.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);

    await().until(() -> served("v2") && !served("v1"));
    assertThat(source.errors()).isEmpty();
  }

  /** A sink whose next apply throws an Error, as a bug or an exhausted heap would. */
  static final class FailingSink extends ClusterSink {
    final AtomicBoolean failNext = new AtomicBoolean();

    FailingSink(Index index) {
      super(index, new TokenReports(new SimpleMeterRegistry()));
    }

    @Override
    public void apply(List<Change> changes) {
      if (failNext.getAndSet(false)) {
        throw new Error("injected failure");
      }
      super.apply(changes);
    }
  }

  @Test
  void the_watcher_restarts_after_an_error_and_counts_it() {
    FailingSink sink = new FailingSink(index);
    start(sink);
    sink.failNext.set(true);

    dir.write("b.yaml", pod("b", 2));
    await().until(() -> !sink.failNext.get());
    dir.write("c.yaml", pod("c", 3));

    await().atMost(Duration.ofSeconds(10)).until(() -> served("b") && served("c"));
    Map<?, ?> watcher = (Map<?, ?>) status().get("watcher");
    assertThat(watcher).isNotNull();
    assertThat(watcher.get("restarts")).isEqualTo(1L);
    assertThat(String.valueOf(watcher.get("lastFailure"))).contains("injected failure");
  }

  @Test
  void only_the_files_that_changed_are_parsed_again() throws IOException {
    for (int i = 1; i <= 3; i++) {
      dir.write("f" + i + ".yaml", pod("p" + i, i));
    }
    start();
    assertThat(status().get("filesParsed")).isEqualTo(3L);

    dir.write("f2.yaml", pod("p2-renamed", 2));
    await().until(() -> served("p2-renamed"));
    assertThat(status().get("filesParsed")).isEqualTo(4L);

    // A new modification time with the same content is read and hashed, not parsed.
    long reloads = (Long) status().get("reloads");
    Path f1 = dir.path().resolve("f1.yaml");
    Files.setLastModifiedTime(f1, FileTime.fromMillis(System.currentTimeMillis() + 5_000));
    await().until(() -> (Long) status().get("reloads") > reloads);
    assertThat(status().get("filesParsed")).isEqualTo(4L);
  }

  @Test
  void user_text_in_log_lines_is_escaped_and_truncated_without_stack_traces() {
    start();
    String name = "evil\n2026-01-01 INFO forged line\u001b[31m.yaml";
    String value = "\u001b[2J" + "x".repeat(10_000);
    dir.write(
        name,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: t}\nspec:\n"
            + "  containers: [{name: c, ports: [{containerPort: \""
            + value.replace("\u001b", "\\e")
            + "\"}]}]\n");
    dir.write("b.yaml", pod("b", 2));

    await().atMost(Duration.ofSeconds(10)).until(() -> served("b"));
    await().until(() -> !source.errors().isEmpty());
    assertThat(source.errors().getFirst().reason()).hasSizeLessThanOrEqualTo(300);
    List<ILoggingEvent> events = List.copyOf(logs.list);
    assertThat(events).anySatisfy(e -> assertThat(e.getFormattedMessage()).contains("evil\\n"));
    for (ILoggingEvent e : events) {
      assertThat(e.getFormattedMessage())
          .doesNotContain("\n")
          .doesNotContain("\u001b")
          .hasSizeLessThan(1_000);
      assertThat(e.getThrowableProxy()).as("stack trace for %s", e.getMessage()).isNull();
    }
  }

  @Test
  void readiness_stays_up_and_names_the_failed_files() {
    dir.write("good.yaml", pod("good", 1));
    dir.write("bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: [unclosed\n");
    start();

    Health health = new SourceHealthIndicator(sync).health();
    assertThat(health.getStatus()).isEqualTo(Status.UP);
    assertThat(health.getDetails()).containsEntry("manifests", true);
    assertThat(String.valueOf(health.getDetails().get("problems")))
        .contains("manifests")
        .contains("1 file");

    dir.write("bad.yaml", pod("fixed", 3));
    await().until(() -> served("fixed"));
    assertThat(new SourceHealthIndicator(sync).health().getDetails()).doesNotContainKey("problems");
  }
}
