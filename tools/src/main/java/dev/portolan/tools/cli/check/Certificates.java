package dev.portolan.tools.cli.check;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * PEM certificates as the checks read them, with the JDK alone: the command line carries no
 * BouncyCastle. Every failure is a {@link BadCertificate} saying which object and key held what.
 */
final class Certificates {
  private static final DateTimeFormatter DATE =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);
  private static final int SAN_DNS = 2;

  private Certificates() {}

  /** Text that should hold certificates and does not. */
  static final class BadCertificate extends Exception {
    private final String reason;

    BadCertificate(String reason) {
      super(reason);
      this.reason = reason;
    }

    /** Which object and key, and what is wrong with it. */
    String reason() {
      return reason;
    }
  }

  /**
   * Every certificate in PEM text, in order.
   *
   * @param where the object and key, for the error ("Secret portolan/x tls.crt")
   */
  static List<X509Certificate> parse(@Nullable String pem, String where) throws BadCertificate {
    if (pem == null || pem.isBlank()) {
      throw new BadCertificate(where + " is empty");
    }
    if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
      throw new BadCertificate(where + " holds no PEM certificate (no BEGIN CERTIFICATE line)");
    }
    try {
      Collection<? extends java.security.cert.Certificate> all =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.UTF_8)));
      List<X509Certificate> out = new ArrayList<>();
      for (java.security.cert.Certificate c : all) {
        out.add((X509Certificate) c);
      }
      if (out.isEmpty()) {
        throw new BadCertificate(where + " holds no PEM certificate");
      }
      return out;
    } catch (CertificateException e) {
      throw new BadCertificate(where + " is not valid PEM: " + e.getMessage());
    }
  }

  /** A Secret's or a webhook's base64 field, decoded to text. */
  static String base64(@Nullable String value, String where) throws BadCertificate {
    if (value == null || value.isBlank()) {
      throw new BadCertificate(where + " is empty");
    }
    try {
      return new String(Base64.getMimeDecoder().decode(value.strip()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new BadCertificate(where + " is not base64: " + e.getMessage());
    }
  }

  /** A key of a Secret's data, decoded, or a clear error naming the Secret and key. */
  static String secretKey(@Nullable Map<String, String> data, String key, String secret)
      throws BadCertificate {
    String v = data == null ? null : data.get(key);
    if (v == null) {
      throw new BadCertificate(secret + " has no " + key);
    }
    return base64(v, secret + " " + key);
  }

  static boolean isCa(X509Certificate c) {
    return c.getBasicConstraints() >= 0;
  }

  /** Whether {@code parent} signed {@code child}: names chain and the signature verifies. */
  static boolean signedBy(X509Certificate child, X509Certificate parent) {
    if (!child.getIssuerX500Principal().equals(parent.getSubjectX500Principal())) {
      return false;
    }
    try {
      child.verify(parent.getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /**
   * The anchor among {@code anchors} that {@code leaf} chains to, through the intermediates that
   * came with it (the rest of a tls.crt), or null.
   */
  static @Nullable X509Certificate chainsTo(
      X509Certificate leaf, List<X509Certificate> intermediates, List<X509Certificate> anchors) {
    X509Certificate current = leaf;
    // Bounded: a chain longer than the intermediates given cannot be built from them.
    for (int depth = 0; depth <= intermediates.size(); depth++) {
      for (X509Certificate a : anchors) {
        if (signedBy(current, a)) {
          return a;
        }
      }
      X509Certificate next = null;
      for (X509Certificate i : intermediates) {
        if (i != current && signedBy(current, i)) {
          next = i;
          break;
        }
      }
      if (next == null) {
        return null;
      }
      current = next;
    }
    return null;
  }

  /** The certificate's DNS subject alternative names. */
  static List<String> dnsNames(X509Certificate c) {
    try {
      Collection<List<?>> sans = c.getSubjectAlternativeNames();
      if (sans == null) {
        return List.of();
      }
      List<String> out = new ArrayList<>();
      for (List<?> san : sans) {
        if (san.size() >= 2 && Integer.valueOf(SAN_DNS).equals(san.get(0))) {
          out.add(String.valueOf(san.get(1)));
        }
      }
      return out;
    } catch (CertificateParsingException e) {
      return List.of();
    }
  }

  /** The subject as users see it: {@code CN=identity.portolan.cluster.local}. */
  static String subject(X509Certificate c) {
    return c.getSubjectX500Principal().getName();
  }

  static String issuer(X509Certificate c) {
    return c.getIssuerX500Principal().getName();
  }

  static Instant notAfter(X509Certificate c) {
    return c.getNotAfter().toInstant();
  }

  static Instant notBefore(X509Certificate c) {
    return c.getNotBefore().toInstant();
  }

  static String date(Instant t) {
    return DATE.format(t);
  }

  /** Whole days from {@code now} to {@code t}, rounded down (negative once past). */
  static long daysUntil(Instant now, Instant t) {
    return Duration.between(now, t).toDays();
  }
}
