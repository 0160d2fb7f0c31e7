package dev.portolan.policy.netpol;

/**
 * Whether a client pod may open a connection to a server pod's port: its own egress policies and
 * the server's ingress policies must both allow it.
 */
public record Reach(Verdict egress, Verdict ingress) {
  public boolean allowed() {
    return egress.allowed() && ingress.allowed();
  }
}
