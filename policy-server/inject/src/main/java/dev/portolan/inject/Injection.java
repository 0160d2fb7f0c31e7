package dev.portolan.inject;

import java.util.List;
import tools.jackson.databind.node.ArrayNode;

/** What the injector decided for one Pod. Either way the Pod is admitted. */
public sealed interface Injection {

  /** Warnings for the AdmissionReview response: each names the annotation, the token and why. */
  List<String> warnings();

  /**
   * The proxy is added.
   *
   * @param patch the JSON Patch (RFC 6902) against the Pod as the API server sent it
   */
  record Injected(ArrayNode patch, List<String> warnings) implements Injection {
    public Injected {
      warnings = List.copyOf(warnings);
    }
  }

  /**
   * The Pod is left as it is.
   *
   * @param reason why, in words (logged at debug, shown by the command line)
   */
  record Skipped(String reason, List<String> warnings) implements Injection {
    public Skipped {
      warnings = List.copyOf(warnings);
    }
  }
}
