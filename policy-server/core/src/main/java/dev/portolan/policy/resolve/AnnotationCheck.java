package dev.portolan.policy.resolve;

import dev.portolan.policy.model.Annotations;
import dev.portolan.policy.model.InvalidToken;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.model.ObjectRef;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.PortListParser;
import dev.portolan.policy.model.PortNames;
import dev.portolan.policy.model.PortSet;
import dev.portolan.policy.model.Protocol;
import dev.portolan.policy.model.Resource;
import dev.portolan.policy.model.ServerInfo;
import dev.portolan.policy.model.ServiceInfo;
import dev.portolan.policy.model.TokenReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The invalid tokens of an object's own port-list annotations, for reporting when the object
 * changes (log, metric, Kubernetes Event). The rules drop the same tokens when they resolve.
 */
public final class AnnotationCheck {
  private static final List<String> POD_KEYS =
      List.of(
          Annotations.OPAQUE_PORTS,
          Annotations.SKIP_INBOUND_PORTS,
          Annotations.SKIP_OUTBOUND_PORTS,
          Annotations.REQUIRE_IDENTITY_INBOUND_PORTS);

  /**
   * A Namespace annotation names ports of the Pods it applies to, which differ per Pod: here only
   * its syntax is checked, and a name is accepted; an unknown name shows in the Pod's explain.
   */
  private static final PortNames ANY_NAME = name -> PortSet.of(1);

  private AnnotationCheck() {}

  public static List<TokenReport> check(Resource resource) {
    List<TokenReport> out = new ArrayList<>();
    switch (resource) {
      case PodInfo p -> {
        for (String key : POD_KEYS) {
          check(p.ref(), p.annotations(), key, p.portNames(), out);
        }
        AuthzResolver.check(p.ref(), p.annotations(), out);
      }
      case ServiceInfo s ->
          check(s.ref(), s.annotations(), Annotations.OPAQUE_PORTS, s.portNames(), out);
      case NamespaceInfo n -> {
        check(n.ref(), n.annotations(), Annotations.OPAQUE_PORTS, ANY_NAME, out);
        AuthzResolver.check(n.ref(), n.annotations(), out);
      }
      case ServerInfo s -> {
        String raw = s.annotations().get(Annotations.DETECT_TIMEOUT);
        if (raw != null) {
          // The protocol the Server resolves to whatever the install's Detect timeout.
          Protocol protocol =
              new InboundResolver(MeshSettings.defaults()).serverProtocol(s.proxyProtocol());
          InvalidToken problem = ServerTimeout.problem(protocol, raw);
          if (problem != null) {
            out.add(new TokenReport(s.ref(), ServerTimeout.FIELD, problem));
          }
        }
      }
      default -> {}
    }
    return out;
  }

  private static void check(
      ObjectRef ref,
      Map<String, String> annotations,
      String key,
      PortNames names,
      List<TokenReport> out) {
    String raw = annotations.get(key);
    if (raw == null) {
      return;
    }
    for (var t : PortListParser.parse(raw, names).invalid()) {
      out.add(new TokenReport(ref, "metadata.annotations[" + key + "]", t));
    }
  }
}
