package dev.portolan.helm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The images are not built here, but what the chart expects of them is checked against their
 * Dockerfiles: users, entry points, ports, the jar, the proxy's JVM options.
 */
class ImagesTest {
  private static final Path REPO = Chart.DIR.getParent().getParent();

  @Test
  void the_policy_server_image_runs_the_exec_jar_as_the_chart_s_non_root_user() throws IOException {
    String dockerfile = Files.readString(REPO.resolve("policy-server/app/Dockerfile"));
    Map<String, Object> values = Yaml.map(Files.readString(Chart.DIR.resolve("values.yaml")));
    String pom = Files.readString(REPO.resolve("policy-server/app/pom.xml"));
    String jar = tag(pom, "finalName") + "-" + tag(pom, "classifier") + ".jar";

    assertThat(user(dockerfile)).isEqualTo(String.valueOf(Yaml.at(values, "policyServer.uid")));
    assertThat(dockerfile).contains("target/" + jar + " /opt/portolan/policy-server.jar");
    String entrypoint = line(dockerfile, "ENTRYPOINT");
    assertThat(entrypoint)
        .contains(
            "\"-XX:+ExitOnOutOfMemoryError\"", "\"-jar\"", "\"/opt/portolan/policy-server.jar\"");
    assertThat(dockerfile).contains("FROM eclipse-temurin:25-jre");
    assertThat(line(dockerfile, "EXPOSE").split("\\s+"))
        .contains(String.valueOf(Yaml.at(values, "grpc.port")), "8080", "9443");
  }

  @Test
  void the_proxy_image_has_both_entry_points_and_runs_as_the_uid_proxy_init_exempts()
      throws IOException {
    String dockerfile = Files.readString(REPO.resolve("data-plane/Dockerfile"));
    Map<String, Object> values = Yaml.map(Files.readString(Chart.DIR.resolve("values.yaml")));

    assertThat(user(dockerfile)).isEqualTo(String.valueOf(Yaml.at(values, "proxy.uid")));
    assertThat(line(dockerfile, "ENTRYPOINT")).contains("/opt/portolan/bin/portolan-proxy");
    assertThat(dockerfile)
        .contains("/opt/portolan/bin/proxy-init")
        .contains("dev.portolan.proxy.ProxyMain")
        .contains("dev.portolan.proxy.init.ProxyInit")
        .contains("apt-get install -y --no-install-recommends iptables");
    assertThat(REPO.resolve("data-plane/src/main/java/dev/portolan/proxy/ProxyMain.java")).exists();
    assertThat(REPO.resolve("data-plane/src/main/java/dev/portolan/proxy/init/ProxyInit.java"))
        .exists();
    // proxyInit.iptablesMode: every value the schema allows is a back end the image carries.
    String schema = Files.readString(Chart.DIR.resolve("values.schema.json"));
    assertThat(schema).contains("\"legacy\"", "\"nft\"");
    assertThat(dockerfile).contains("legacy|nft)", "for mode in legacy nft");
  }

  @Test
  void the_proxy_starts_with_the_jvm_options_the_benchmarks_measured() throws IOException {
    String dockerfile = Files.readString(REPO.resolve("data-plane/Dockerfile"));
    Matcher base = Pattern.compile("BASE=\"([^\"]*)\"", Pattern.DOTALL).matcher(dockerfile);
    assertThat(base.find()).isTrue();
    List<String> image = Arrays.asList(base.group(1).replace("\\\n", " ").trim().split("\\s+"));

    String bench =
        Files.readString(
            REPO.resolve("bench/src/main/java/dev/portolan/bench/DataPlaneBenchmark.java"));
    Matcher list =
        Pattern.compile("PROXY_JVM\\s*=\\s*List\\.of\\(([^;]*)\\);", Pattern.DOTALL).matcher(bench);
    assertThat(list.find()).isTrue();
    List<String> measured = new ArrayList<>();
    Matcher s = Pattern.compile("\"([^\"]+)\"").matcher(list.group(1));
    while (s.find()) {
      measured.add(s.group(1));
    }
    // -Xshare:off is added by the launcher only when the image has no AOT cache.
    assertThat(image)
        .containsExactlyInAnyOrderElementsOf(
            measured.stream().filter(o -> !o.equals("-Xshare:off")).toList());
    assertThat(dockerfile).contains("-XX:AOTCache=/opt/portolan/proxy.aot", "$BASE -Xshare:off");
  }

  private static String user(String dockerfile) {
    return line(dockerfile, "USER").split("\\s+")[1].split(":")[0];
  }

  /** The last instruction of this name, its continuation lines joined. */
  private static String line(String dockerfile, String instruction) {
    List<String> lines = dockerfile.lines().toList();
    String found = null;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith(instruction + " ")) {
        StringBuilder b = new StringBuilder(lines.get(i));
        while (b.toString().endsWith("\\") && i + 1 < lines.size()) {
          b.setLength(b.length() - 1);
          b.append(' ').append(lines.get(++i).strip());
        }
        found = b.toString();
      }
    }
    if (found == null) {
      throw new AssertionError("no " + instruction + " in the Dockerfile");
    }
    return found;
  }

  private static String tag(String pom, String name) {
    Matcher m = Pattern.compile("<" + name + ">([^<]+)</" + name + ">").matcher(pom);
    assertThat(m.find()).as(name + " in the pom").isTrue();
    return m.group(1).trim();
  }
}
