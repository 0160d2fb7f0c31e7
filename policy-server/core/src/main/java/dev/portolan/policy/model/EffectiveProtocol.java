package dev.portolan.policy.model;

import java.util.List;

/**
 * The answer for one port, with why.
 *
 * @param skipped inbound only: the port is in skip-inbound-ports, so the proxy never sees it (the
 *     protocol is then Opaque: bytes pass untouched)
 * @param shadowed Servers that also select the port but lost to an older one
 * @param invalidTokens invalid tokens in the annotations consulted for this answer
 */
public record EffectiveProtocol(
    Protocol protocol,
    Provenance provenance,
    boolean skipped,
    List<ObjectRef> shadowed,
    List<TokenReport> invalidTokens) {

  public EffectiveProtocol {
    shadowed = List.copyOf(shadowed);
    invalidTokens = List.copyOf(invalidTokens);
  }

  public boolean isOpaque() {
    return protocol.isOpaque();
  }
}
