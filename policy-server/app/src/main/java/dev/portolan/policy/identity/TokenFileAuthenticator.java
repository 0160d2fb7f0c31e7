package dev.portolan.policy.identity;

import dev.portolan.policy.identity.CertifyRefused.Reason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Manifests mode: a file of {@code <namespace>/<serviceaccount> <token>} lines ({@code #} comments,
 * blank lines ignored). The file is re-read when it changes; a broken edit is logged and the last
 * good content stays in force. Tokens are kept as SHA-256 digests, never as text.
 */
public final class TokenFileAuthenticator implements TokenAuthenticator {
  private static final Logger log = LoggerFactory.getLogger(TokenFileAuthenticator.class);
  private static final Pattern LINE = Pattern.compile("([^/\\s]+)/([^/\\s]+)\\s+(\\S+)");

  private final Path file;
  // Certify calls run on several gRPC threads; the table is replaced whole, never edited.
  private volatile Table table;

  private record Table(
      @Nullable FileTime modified, long size, Map<String, ServiceAccount> byDigest) {}

  /** Reads the file now: a missing or malformed file stops the start with its path and line. */
  public TokenFileAuthenticator(Path file) {
    this.file = file;
    this.table = load(file);
  }

  @Override
  public ServiceAccount authenticate(byte[] token, ServiceAccount requested) throws CertifyRefused {
    String text = TokenReviewAuthenticator.text(token);
    ServiceAccount account = current().byDigest().get(digest(text));
    if (account == null) {
      throw new CertifyRefused(Reason.UNAUTHENTICATED, "the token is not in the token file");
    }
    return account;
  }

  private Table current() {
    Table t = table;
    try {
      FileTime modified = Files.getLastModifiedTime(file);
      long size = Files.size(file);
      if (modified.equals(t.modified()) && size == t.size()) {
        return t;
      }
      Table fresh = load(file);
      table = fresh;
      log.info("identity: token file {} reloaded ({} tokens)", file, fresh.byDigest().size());
      return fresh;
    } catch (IOException | IllegalArgumentException e) {
      // Remember the broken version so the error is logged once per edit, not once per call.
      table = new Table(modifiedOrNull(), sizeOrZero(), t.byDigest());
      log.error(
          "identity: token file not reloaded, the previous tokens stay in force: {}",
          e.getMessage());
      return t;
    }
  }

  private static Table load(Path file) {
    List<String> lines;
    FileTime modified;
    long size;
    try {
      modified = Files.getLastModifiedTime(file);
      size = Files.size(file);
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException("portolan.identity.token-file " + file + ": " + e, e);
    }
    Map<String, ServiceAccount> byDigest = new HashMap<>();
    Map<String, Integer> lineOf = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      var m = LINE.matcher(line);
      int n = i + 1;
      if (!m.matches()) {
        // Do not quote the line: it may hold a token.
        throw new IllegalArgumentException(
            file + " line " + n + ": expected '<namespace>/<serviceaccount> <token>'");
      }
      ServiceAccount account = new ServiceAccount(m.group(1), m.group(2));
      String d = digest(m.group(3));
      ServiceAccount before = byDigest.putIfAbsent(d, account);
      if (before != null && !before.equals(account)) {
        throw new IllegalArgumentException(
            file
                + " line "
                + n
                + ": this token is already given to "
                + before
                + " on line "
                + lineOf.get(d));
      }
      lineOf.putIfAbsent(d, n);
    }
    return new Table(modified, size, Map.copyOf(byDigest));
  }

  private @Nullable FileTime modifiedOrNull() {
    try {
      return Files.getLastModifiedTime(file);
    } catch (IOException e) {
      return null;
    }
  }

  private long sizeOrZero() {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return -1;
    }
  }

  /** Looking tokens up by digest keeps the table free of secrets and the comparison uniform. */
  private static String digest(String token) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  @Override
  public String describe() {
    return "token file " + file.toAbsolutePath() + " (" + table.byDigest().size() + " tokens)";
  }
}
