package dev.portolan.policy.model;

import org.jspecify.annotations.Nullable;

/** Which setting or object decided an effective protocol, and through which field. */
public sealed interface Provenance {

  /** Short machine-readable source: default, skip, server, annotation, appProtocol, derived. */
  String source();

  /** One line a user can read: what decided, and how. */
  String summary();

  /** An install setting (e.g. defaultOpaquePorts) or the built-in Detect default. */
  record Default(String setting, String value) implements Provenance {
    @Override
    public String source() {
      return "default";
    }

    @Override
    public String summary() {
      return value == null ? setting : setting + "=" + value;
    }
  }

  /** An annotation on a Pod, Service or Namespace. */
  record Annotation(ObjectRef object, String key, String raw) implements Provenance {
    @Override
    public String source() {
      return "annotation";
    }

    @Override
    public String summary() {
      return object + " annotation " + key + "=\"" + raw + "\"";
    }
  }

  /** The Pod's skip-inbound-ports: the proxy never sees the port. */
  record Skip(ObjectRef pod, String raw) implements Provenance {
    @Override
    public String source() {
      return "skip";
    }

    @Override
    public String summary() {
      return pod + " annotation " + Annotations.SKIP_INBOUND_PORTS + "=\"" + raw + "\"";
    }
  }

  /**
   * A Server's proxyProtocol.
   *
   * @param detectTimeout the Server's {@code config.portolan.io/detect-timeout} as written when it
   *     set the Detect timeout; null when the install default applies
   */
  record ServerRule(
      ObjectRef server, @Nullable String proxyProtocol, @Nullable String detectTimeout)
      implements Provenance {
    public ServerRule(ObjectRef server, @Nullable String proxyProtocol) {
      this(server, proxyProtocol, null);
    }

    @Override
    public String source() {
      return "server";
    }

    @Override
    public String summary() {
      return server
          + " spec.proxyProtocol="
          + (proxyProtocol == null ? "(unset)" : proxyProtocol)
          + (detectTimeout == null
              ? ""
              : ", annotation " + Annotations.DETECT_TIMEOUT + "=\"" + detectTimeout + "\"");
    }
  }

  /** A Service port's appProtocol. */
  record AppProtocol(ObjectRef service, int port, String value) implements Provenance {
    @Override
    public String source() {
      return "appProtocol";
    }

    @Override
    public String summary() {
      return service + " spec.ports[port=" + port + "].appProtocol=" + value;
    }
  }

  /** A Service port made opaque by a backend Pod's own decision ({@code via}). */
  record Derived(ObjectRef pod, int targetPort, Provenance via) implements Provenance {
    @Override
    public String source() {
      return "derived";
    }

    @Override
    public String summary() {
      return "derived from backend " + pod + " port " + targetPort + ": " + via.summary();
    }
  }
}
