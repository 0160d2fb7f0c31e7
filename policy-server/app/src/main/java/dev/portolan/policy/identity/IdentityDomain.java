package dev.portolan.policy.identity;

import dev.portolan.policy.identity.CertifyRefused.Reason;
import java.util.regex.Pattern;

/**
 * The shape of mesh identities: {@code <sa>.<ns>.serviceaccount.identity.<controlNs>.<trustDomain>}
 * (the DNS-like name Linkerd proxies put in their CSR and expect in their peers' certificates).
 */
public record IdentityDomain(String controlPlaneNamespace, String trustDomain) {
  // A ServiceAccount name may be a DNS subdomain (with dots), but then the identity no longer
  // splits unambiguously into account and namespace: like Linkerd, accept single labels only.
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final int SHOWN = 80;

  public String suffix() {
    return ".serviceaccount.identity." + controlPlaneNamespace + "." + trustDomain;
  }

  public String identityOf(ServiceAccount account) {
    return account.name() + "." + account.namespace() + suffix();
  }

  /** The ServiceAccount an identity names, or a refusal saying what shape was expected. */
  public ServiceAccount parse(String identity) throws CertifyRefused {
    String suffix = suffix();
    if (identity.isEmpty()) {
      throw new CertifyRefused(Reason.BAD_IDENTITY, "identity is empty");
    }
    if (!identity.endsWith(suffix)) {
      throw new CertifyRefused(
          Reason.BAD_IDENTITY,
          "identity " + shown(identity) + " is not of the form <sa>.<ns>" + suffix);
    }
    String head = identity.substring(0, identity.length() - suffix.length());
    int dot = head.indexOf('.');
    if (dot < 0 || head.indexOf('.', dot + 1) >= 0) {
      throw new CertifyRefused(
          Reason.BAD_IDENTITY,
          "identity " + shown(identity) + " must start with exactly <sa>.<ns> before " + suffix);
    }
    String sa = head.substring(0, dot);
    String ns = head.substring(dot + 1);
    if (!LABEL.matcher(sa).matches() || !LABEL.matcher(ns).matches()) {
      throw new CertifyRefused(
          Reason.BAD_IDENTITY,
          "identity "
              + shown(identity)
              + ": ServiceAccount and namespace must be DNS labels (a-z, 0-9, '-')");
    }
    return new ServiceAccount(ns, sa);
  }

  /** A caller-supplied string, quoted and cut short so an error never echoes a large blob. */
  static String shown(String s) {
    String cut = s.length() <= SHOWN ? s : s.substring(0, SHOWN) + "…";
    return "'" + cut.replaceAll("\\p{Cntrl}", "?") + "'";
  }
}
