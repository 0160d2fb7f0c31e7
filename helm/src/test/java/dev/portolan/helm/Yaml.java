package dev.portolan.helm;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.dataformat.yaml.YAMLMapper;

/** Plain YAML documents (values files, the rendered application.yaml) as maps. */
final class Yaml {
  private static final YAMLMapper MAPPER = new YAMLMapper();

  private Yaml() {}

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(String yaml) {
    return MAPPER.readValue(yaml, Map.class);
  }

  /** The value at a dotted path ({@code portolan.grpc.tls}), or null when a step is missing. */
  static @Nullable Object at(Map<String, Object> root, String path) {
    Object o = root;
    for (String step : path.split("\\.")) {
      if (!(o instanceof Map<?, ?> m)) {
        return null;
      }
      o = m.get(step);
    }
    return o;
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(Map<String, Object> root, String path) {
    return (List<Object>) at(root, path);
  }
}
