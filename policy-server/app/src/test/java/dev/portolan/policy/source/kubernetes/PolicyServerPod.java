package dev.portolan.policy.source.kubernetes;

import dev.portolan.policy.PolicyServerApplication;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Runs the chart's policy-server Deployment in this JVM, as the kubelet would run its container:
 * the container's args, its ConfigMap and Secret volumes written under a temporary root (mount
 * paths in the args and in the mounted config rewritten to it). Only the ports change, to free ones
 * (8080, 8086 and 9443 may be taken on a shared machine).
 */
final class PolicyServerPod {
  private static final List<String> FREE_PORTS =
      List.of("--server.port=0", "--portolan.grpc.port=0", "--portolan.injector.port=0");

  private PolicyServerPod() {}

  /** Starts the server; throws what the start threw (the caller closes the context). */
  static ConfigurableApplicationContext run(List<HasMetadata> installed, Path root) {
    Deployment deployment = one(installed, Deployment.class, "portolan-policy-server");
    PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    Container container = pod.getContainers().getFirst();
    Map<String, String> mounts = new LinkedHashMap<>();
    for (VolumeMount m : container.getVolumeMounts()) {
      Volume v =
          pod.getVolumes().stream()
              .filter(x -> x.getName().equals(m.getName()))
              .findFirst()
              .orElseThrow();
      Path dir = root.resolve(m.getMountPath().substring(1));
      mounts.put(m.getMountPath(), dir.toString());
      Map<String, String> files = new LinkedHashMap<>();
      if (v.getConfigMap() != null) {
        files.putAll(one(installed, ConfigMap.class, v.getConfigMap().getName()).getData());
      } else if (v.getSecret() != null) {
        one(installed, Secret.class, v.getSecret().getSecretName())
            .getData()
            .forEach((k, b64) -> files.put(k, new String(Base64.getDecoder().decode(b64))));
      }
      write(dir, files);
    }
    for (Map.Entry<String, String> m : mounts.entrySet()) {
      rewrite(Path.of(m.getValue()), mounts);
    }
    List<String> args = new ArrayList<>();
    for (String a : container.getArgs()) {
      args.add(remap(a, mounts));
    }
    args.addAll(FREE_PORTS);
    return new SpringApplicationBuilder(PolicyServerApplication.class)
        .registerShutdownHook(false)
        .run(args.toArray(String[]::new));
  }

  private static void write(Path dir, Map<String, String> files) {
    try {
      Files.createDirectories(dir);
      for (Map.Entry<String, String> f : files.entrySet()) {
        Files.writeString(dir.resolve(f.getKey()), f.getValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Mounted files that name other mounts (the config names the webhook certificate). */
  private static void rewrite(Path dir, Map<String, String> mounts) {
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.writeString(f, remap(Files.readString(f), mounts));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String remap(String text, Map<String, String> mounts) {
    String out = text;
    for (Map.Entry<String, String> m : mounts.entrySet()) {
      if (!m.getKey().equals("/tmp")) {
        out = out.replace(m.getKey() + "/", m.getValue() + "/");
      }
    }
    return out;
  }

  static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> type, String name) {
    return objects.stream()
        .filter(type::isInstance)
        .map(type::cast)
        .filter(o -> o.getMetadata().getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("the chart installs no " + type + " " + name));
  }
}
