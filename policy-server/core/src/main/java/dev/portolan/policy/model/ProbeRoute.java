package dev.portolan.policy.model;

import java.util.List;

/**
 * The kubelet's HTTP probes of one Pod port, admitted whatever the port's default policy says
 * (docs/design/sources-and-precedence.md, <i>Probe authorizations</i>), as Linkerd's policy
 * controller does: a route matching {@code GET} of exactly these paths, with an unauthenticated
 * authorization from the install's probe networks.
 *
 * @param paths the probe paths, distinct and sorted, never empty
 * @param authorization who may send them: the probe networks, no identity needed
 */
public record ProbeRoute(List<String> paths, Authorization authorization) {
  /** The name of the route and of its authorization on the wire (Linkerd's). */
  public static final String NAME = "probe";

  public ProbeRoute {
    paths = List.copyOf(paths);
    if (paths.isEmpty()) {
      throw new IllegalArgumentException("a probe route needs a path");
    }
  }
}
