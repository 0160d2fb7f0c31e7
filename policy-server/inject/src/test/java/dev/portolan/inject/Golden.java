package dev.portolan.inject;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;

/**
 * Files under {@code src/test/resources/admission}. A golden file is compared as a JSON tree (key
 * order and spacing do not matter). {@code -Dgolden.update=true} rewrites the golden files from the
 * current output instead: review the diff before committing it.
 */
final class Golden {
  private static final Path DIR = Path.of("src/test/resources/admission");

  private Golden() {}

  static byte[] bytes(String name) {
    try (InputStream in = Golden.class.getResourceAsStream("/admission/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no test resource admission/" + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode json(String name) {
    return Json.MAPPER.readTree(bytes(name));
  }

  static void assertMatches(String name, JsonNode actual) {
    if (Boolean.getBoolean("golden.update")) {
      try {
        Files.writeString(
            DIR.resolve(name),
            Json.MAPPER.writer(SerializationFeature.INDENT_OUTPUT).writeValueAsString(actual)
                + "\n");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return;
    }
    assertThat(actual)
        .as("%s (regenerate with -Dgolden.update=true and review the diff)", name)
        .isEqualTo(json(name));
  }
}
