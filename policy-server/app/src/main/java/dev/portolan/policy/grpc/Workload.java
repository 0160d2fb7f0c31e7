package dev.portolan.policy.grpc;

import dev.portolan.policy.resolve.BadRequestException;
import dev.portolan.policy.resolve.ClientText;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The workload of an inbound policy request: JSON {@code {"ns":…,"pod":…}} or {@code ns:pod}. */
record Workload(String namespace, String pod) {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Set<String> FIELDS = Set.of("ns", "pod");

  static Workload parse(String raw) {
    if (raw == null || raw.isBlank()) {
      throw new BadRequestException("workload is empty");
    }
    String t = raw.strip();
    if (t.startsWith("{")) {
      JsonNode n;
      try {
        n = JSON.readTree(t);
      } catch (RuntimeException e) {
        throw new BadRequestException("workload is not valid JSON: " + ClientText.clip(t));
      }
      for (var it = n.propertyNames().iterator(); it.hasNext(); ) {
        String f = it.next();
        if (!FIELDS.contains(f)) {
          throw new BadRequestException(
              "workload has unknown field '" + ClientText.clip(f) + "': " + ClientText.clip(t));
        }
      }
      String ns = n.path("ns").asString("");
      String pod = n.path("pod").asString("");
      if (ns.isEmpty() || pod.isEmpty()) {
        throw new BadRequestException(
            "workload needs non-empty \"ns\" and \"pod\": " + ClientText.clip(t));
      }
      return new Workload(ns, pod);
    }
    int colon = t.indexOf(':');
    if (colon <= 0 || colon == t.length() - 1 || t.indexOf(':', colon + 1) >= 0) {
      throw new BadRequestException(
          "workload must be {\"ns\":…,\"pod\":…} or ns:pod, got '" + ClientText.clip(t) + "'");
    }
    return new Workload(t.substring(0, colon), t.substring(colon + 1));
  }
}
