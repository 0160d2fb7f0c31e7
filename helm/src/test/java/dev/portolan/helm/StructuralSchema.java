package dev.portolan.helm;

import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Checks an object against a CRD version's openAPIV3Schema the way the API server does for the
 * parts the Server CRD uses: types, required fields, enums, int-or-string, string maps, oneOf over
 * required fields, and unknown fields (which {@code kubectl apply}, validating strictly, refuses).
 * No mock API server validates custom resources, hence this small reading.
 */
final class StructuralSchema {
  private StructuralSchema() {}

  /** The problems found, each with its field path; empty when the object is valid. */
  static List<String> problems(JSONSchemaProps schema, @Nullable Object value) {
    List<String> out = new ArrayList<>();
    check(schema, value, "", out);
    return out;
  }

  private static void check(JSONSchemaProps s, @Nullable Object v, String path, List<String> out) {
    if (v == null) {
      return;
    }
    if (Boolean.TRUE.equals(s.getXKubernetesIntOrString())) {
      if (!(v instanceof String || v instanceof Integer || v instanceof Long)) {
        out.add(path + ": must be an integer or a string");
      }
      return;
    }
    String type = s.getType();
    if (type != null) {
      boolean ok =
          switch (type) {
            case "object" -> v instanceof Map;
            case "array" -> v instanceof List;
            case "string" -> v instanceof String;
            case "integer" -> v instanceof Integer || v instanceof Long;
            case "boolean" -> v instanceof Boolean;
            default -> true;
          };
      if (!ok) {
        out.add(path + ": must be " + type + ", is " + v);
        return;
      }
    }
    if (s.getEnum() != null && !s.getEnum().isEmpty()) {
      List<String> allowed = s.getEnum().stream().map(n -> n.asString()).toList();
      if (!allowed.contains(String.valueOf(v))) {
        out.add(path + ": '" + v + "' is not one of " + allowed);
      }
    }
    if (v instanceof Map<?, ?> map) {
      for (String r : s.getRequired() == null ? List.<String>of() : s.getRequired()) {
        if (!map.containsKey(r)) {
          out.add(path + "." + r + ": required");
        }
      }
      if (s.getOneOf() != null && !s.getOneOf().isEmpty()) {
        long matching =
            s.getOneOf().stream()
                .filter(alt -> map.keySet().containsAll(alt.getRequired()))
                .count();
        if (matching != 1) {
          out.add(
              path
                  + ": must have exactly one of "
                  + s.getOneOf().stream().map(JSONSchemaProps::getRequired).toList());
        }
      }
      Map<String, JSONSchemaProps> props = s.getProperties();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        String field = path + "." + e.getKey();
        if (props != null && props.containsKey(String.valueOf(e.getKey()))) {
          check(props.get(String.valueOf(e.getKey())), e.getValue(), field, out);
        } else if (s.getAdditionalProperties() != null
            && s.getAdditionalProperties().getSchema() != null) {
          check(s.getAdditionalProperties().getSchema(), e.getValue(), field, out);
        } else if (!Boolean.TRUE.equals(s.getXKubernetesPreserveUnknownFields())) {
          out.add(field + ": unknown field");
        }
      }
    }
    if (v instanceof List<?> list && s.getItems() != null && s.getItems().getSchema() != null) {
      for (int i = 0; i < list.size(); i++) {
        check(s.getItems().getSchema(), list.get(i), path + "[" + i + "]", out);
      }
    }
  }
}
