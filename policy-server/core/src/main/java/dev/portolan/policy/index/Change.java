package dev.portolan.policy.index;

import dev.portolan.policy.model.Resource;

/** One source event: an object appeared or changed, or went away. */
public sealed interface Change {
  Resource.Key key();

  record Upsert(Resource resource) implements Change {
    @Override
    public Resource.Key key() {
      return resource.key();
    }
  }

  record Delete(Resource.Key key) implements Change {}
}
