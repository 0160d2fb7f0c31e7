package dev.portolan.tools.cli.explain;

import dev.portolan.api.v1.ExplainResponse;
import dev.portolan.api.v1.InvalidToken;
import dev.portolan.api.v1.ObjectRef;
import dev.portolan.api.v1.PortExplanation;
import dev.portolan.api.v1.Provenance;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@code Diagnostics/Explain} answer for people: a header naming the object, then one line per
 * port (port, protocol, and "because" the object, field and raw value that decided it), with the
 * shadowed Servers and invalid annotation tokens that bear on that port indented below it.
 *
 * <pre>
 * Pod shop/db-0
 *   5432  opaque        because Pod/shop/db-0 metadata.annotations[config.linkerd.io/opaque-ports] = "5432,x"
 *                       invalid token "x" (position 2) in Pod/shop/db-0 ...: not a port
 * </pre>
 */
final class ExplanationText {
  private static final String SKIP_FIELD =
      "metadata.annotations[config.linkerd.io/skip-inbound-ports]";

  private ExplanationText() {}

  static String render(ExplainResponse r) {
    StringBuilder b = new StringBuilder();
    ObjectRef o = r.getObject();
    b.append(o.getKind()).append(' ').append(o.getNamespace()).append('/').append(o.getName());
    b.append('\n');
    if (r.getPortsCount() == 0) {
      b.append("  no ports\n");
      return b.toString();
    }
    List<String> ports = new ArrayList<>();
    List<String> protocols = new ArrayList<>();
    for (PortExplanation p : r.getPortsList()) {
      ports.add(port(p));
      protocols.add(protocol(p));
    }
    int portWidth = ports.stream().mapToInt(String::length).max().orElse(0);
    int protocolWidth = protocols.stream().mapToInt(String::length).max().orElse(0);
    String continuation = " ".repeat(2 + portWidth + 2 + protocolWidth + 2);
    for (int i = 0; i < r.getPortsCount(); i++) {
      PortExplanation p = r.getPorts(i);
      b.append("  ").append(pad(ports.get(i), portWidth));
      b.append("  ").append(pad(protocols.get(i), protocolWidth));
      b.append("  because ").append(provenance(p.getProvenance())).append('\n');
      for (ObjectRef s : p.getShadowedList()) {
        b.append(continuation)
            .append("shadowed: ")
            .append(ref(s))
            .append(" selects this port too; the older Server wins\n");
      }
      for (InvalidToken t : p.getInvalidTokensList()) {
        b.append(continuation)
            .append("invalid token \"")
            .append(t.getToken())
            .append("\" (position ")
            .append(t.getPosition())
            .append(") in ")
            .append(ref(t.getObject()))
            .append(' ')
            .append(t.getField())
            .append(": ")
            .append(t.getReason())
            .append('\n');
      }
    }
    return b.toString();
  }

  /** The port; a Service's target port too, when it is written differently. */
  private static String port(PortExplanation p) {
    String port = Integer.toUnsignedString(p.getPort());
    String target = p.getTargetPort();
    return target.isEmpty() || target.equals(port) ? port : port + "→" + target;
  }

  private static String protocol(PortExplanation p) {
    String s = p.getProtocol();
    if (p.getDetectTimeoutMs() > 0) {
      s += " (" + timeout(p.getDetectTimeoutMs()) + ")";
    }
    return p.getSkipped() ? s + ", skipped" : s;
  }

  private static String timeout(int ms) {
    return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
  }

  /**
   * Which object and field decided, with the raw value found there. An install default has no
   * object: its setting stands in the field. A derived answer names the backend and then its own
   * reason.
   */
  static String provenance(Provenance p) {
    String field = p.getField();
    if (field.isEmpty() && p.getSource().equals("skip")) {
      field = SKIP_FIELD;
    }
    StringBuilder b = new StringBuilder();
    switch (p.getSource()) {
      case "default" -> b.append("the install default ").append(field);
      case "derived" -> {
        b.append("backend ").append(ref(p.getObject()));
        if (p.hasVia()) {
          b.append(", because ").append(provenance(p.getVia()));
        }
        return b.toString();
      }
      default -> {
        if (p.hasObject()) {
          b.append(ref(p.getObject()));
        }
        if (!field.isEmpty()) {
          b.append(b.isEmpty() ? "" : " ").append(field);
        }
        if (b.isEmpty()) {
          return p.getSummary();
        }
      }
    }
    if (!p.getRawValue().isEmpty()) {
      b.append(" = \"").append(p.getRawValue()).append('"');
    } else if (p.getSource().equals("server")) {
      b.append(" unset");
    }
    return b.toString();
  }

  private static String ref(ObjectRef r) {
    return r.getKind() + "/" + r.getNamespace() + "/" + r.getName();
  }

  private static String pad(String s, int width) {
    return s + " ".repeat(Math.max(0, width - s.length()));
  }
}
