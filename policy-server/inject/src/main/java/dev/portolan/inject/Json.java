package dev.portolan.inject;

import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** The one mapper for fabric8's model (built on Jackson 3, as fabric8 8 is). */
public final class Json {
  /**
   * Thread-safe once built. Unknown fields land in the model's additional properties, so a field
   * newer than this model survives a read.
   */
  public static final JsonMapper MAPPER =
      JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

  private Json() {}
}
