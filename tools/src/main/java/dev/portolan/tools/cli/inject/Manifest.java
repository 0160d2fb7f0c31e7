package dev.portolan.tools.cli.inject;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A YAML stream cut into its documents as text, so that a document the injector leaves alone is
 * written back byte for byte (comments, quoting and key order included) and only an injected one is
 * written anew.
 *
 * <p>A document starts at a line that begins with {@code ---} followed by nothing or white space:
 * YAML's document marker, which ends a document wherever it stands at the start of a line (even
 * inside a block scalar), so cutting there agrees with the parser.
 *
 * @param chunks every piece of the input in order; writing them all reproduces the input
 */
record Manifest(List<Chunk> chunks) {
  private static final Pattern MARKER = Pattern.compile("^---(?:[ \\t].*)?$");

  /**
   * One document's text.
   *
   * @param marker the {@code ---} that opened it; empty for the first
   * @param body the text after the marker up to the next one, with its line breaks ({@code marker +
   *     body} is the input as it was)
   * @param firstLine the 1-based line of the input where {@code body} begins
   */
  record Chunk(String marker, String body, int firstLine) {
    /**
     * The text to parse: whatever followed the marker on its line (a comment, or the document's
     * first node) stays in place, the dashes blanked, so the parser's line numbers match.
     */
    String yaml() {
      return marker.isEmpty() ? body : "   " + body;
    }

    /** Only comments and white space: no document at all. */
    boolean blank() {
      for (String line : body.split("\n", -1)) {
        String s = line.strip();
        if (!s.isEmpty() && !s.startsWith("#") && !s.equals("...")) {
          return false;
        }
      }
      return true;
    }
  }

  static Manifest parse(String text) {
    List<Chunk> chunks = new ArrayList<>();
    StringBuilder body = new StringBuilder();
    String marker = "";
    int first = 1;
    int lineNo = 0;
    int pos = 0;
    while (pos < text.length()) {
      int nl = text.indexOf('\n', pos);
      int end = nl < 0 ? text.length() : nl + 1;
      String line = text.substring(pos, end);
      lineNo++;
      String bare = line.endsWith("\n") ? line.substring(0, line.length() - 1) : line;
      if (bare.endsWith("\r")) {
        bare = bare.substring(0, bare.length() - 1);
      }
      if (MARKER.matcher(bare).matches()) {
        chunks.add(new Chunk(marker, body.toString(), first));
        body.setLength(0);
        marker = line.substring(0, 3);
        body.append(line.substring(3));
        first = lineNo;
      } else {
        body.append(line);
      }
      pos = end;
    }
    chunks.add(new Chunk(marker, body.toString(), first));
    return new Manifest(chunks);
  }
}
