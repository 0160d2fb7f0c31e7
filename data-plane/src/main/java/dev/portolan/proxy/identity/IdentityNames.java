package dev.portolan.proxy.identity;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Mesh identity names, {@code <sa>.<ns>.serviceaccount.identity.<controlNs>.<trustDomain>}
 * (docs/design/identity.md), and the DNS names a certificate carries.
 */
public final class IdentityNames {
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final int SAN_DNS = 2;

  private IdentityNames() {}

  /**
   * The identity of a workload.
   *
   * @throws IllegalArgumentException naming the part that is not a valid DNS name
   */
  public static String of(
      String serviceAccount, String namespace, String controlNamespace, String trustDomain) {
    requireDnsName("service account", serviceAccount, true);
    requireDnsName("namespace", namespace, false);
    requireDnsName("control-plane namespace", controlNamespace, false);
    requireDnsName("trust domain", trustDomain, true);
    String name =
        serviceAccount
            + "."
            + namespace
            + ".serviceaccount.identity."
            + controlNamespace
            + "."
            + trustDomain;
    if (name.length() > 253) {
      throw new IllegalArgumentException(
          "identity '" + name + "' is " + name.length() + " characters long, over the 253 of DNS");
    }
    return name;
  }

  /** Lowercase DNS labels (RFC 1123), dot-separated when {@code dotted}. */
  static void requireDnsName(String what, String value, boolean dotted) {
    if (value.isEmpty()) {
      throw new IllegalArgumentException(what + " is empty");
    }
    String[] labels = dotted ? value.split("\\.", -1) : new String[] {value};
    for (String label : labels) {
      if (!LABEL.matcher(label).matches()) {
        throw new IllegalArgumentException(
            what
                + " '"
                + value
                + "' is not a DNS "
                + (dotted ? "name" : "label")
                + ": '"
                + label
                + "' must be 1-63 of a-z, 0-9 and '-', not starting or ending with '-'");
      }
    }
  }

  /** The DNS names of a certificate's subject alternative names, in order; empty when none. */
  public static List<String> dnsNames(X509Certificate cert) {
    Collection<List<?>> sans;
    try {
      sans = cert.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      return List.of();
    }
    if (sans == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>(1);
    for (List<?> san : sans) {
      if (san.size() >= 2
          && san.get(0) instanceof Integer type
          && type == SAN_DNS
          && san.get(1) instanceof String dns) {
        out.add(dns);
      }
    }
    return List.copyOf(out);
  }
}
