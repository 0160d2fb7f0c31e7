package dev.portolan.policy.model;

import java.util.List;
import org.jspecify.annotations.Nullable;

/** What a client must prove to be admitted ({@code Authn} on the wire, docs/design/wire.md). */
public sealed interface Authentication {
  /** Anyone, meshed or not ({@code PermitUnauthenticated}). */
  Authentication UNAUTHENTICATED = new Unauthenticated();

  /** Any client with a verified mesh identity: one empty suffix matches every identity. */
  Authentication ANY_MESH_IDENTITY = new MeshTls(List.of(), List.of(List.of()));

  boolean admits(@Nullable String identity);

  /** No proof needed. */
  record Unauthenticated() implements Authentication {
    @Override
    public boolean admits(@Nullable String identity) {
      return true;
    }
  }

  /**
   * Mesh TLS with a verified client identity that is one of {@code identities} or ends with one of
   * {@code suffixes} ({@code PermitMeshTLS.identities}).
   *
   * @param suffixes each a list of DNS labels; the empty list matches every identity, as Linkerd
   *     reads it
   */
  record MeshTls(List<String> identities, List<List<String>> suffixes) implements Authentication {
    public MeshTls {
      identities = List.copyOf(identities);
      suffixes = suffixes.stream().map(List::copyOf).toList();
    }

    @Override
    public boolean admits(@Nullable String identity) {
      if (identity == null || identity.isEmpty()) {
        return false;
      }
      if (identities.contains(identity)) {
        return true;
      }
      for (List<String> parts : suffixes) {
        if (parts.isEmpty() || identity.endsWith("." + String.join(".", parts))) {
          return true;
        }
      }
      return false;
    }
  }
}
