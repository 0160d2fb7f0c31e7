package dev.portolan.policy.identity;

import io.grpc.Status;

/**
 * Why a Certify call was refused. The message goes to the caller as the gRPC status description, so
 * it names what was wrong without echoing the token or the CSR.
 */
public final class CertifyRefused extends Exception {

  /** Each refusal reason: its metric tag and the gRPC status it maps to. */
  public enum Reason {
    BAD_IDENTITY("bad_identity", Status.Code.INVALID_ARGUMENT),
    BAD_CSR("bad_csr", Status.Code.INVALID_ARGUMENT),
    KEY_TYPE("key_type", Status.Code.INVALID_ARGUMENT),
    SAN_MISMATCH("san_mismatch", Status.Code.INVALID_ARGUMENT),
    UNAUTHENTICATED("unauthenticated", Status.Code.UNAUTHENTICATED),
    WRONG_SERVICE_ACCOUNT("wrong_service_account", Status.Code.PERMISSION_DENIED),
    NOT_CONFIGURED("not_configured", Status.Code.FAILED_PRECONDITION),
    TOKEN_REVIEW_FAILED("token_review_failed", Status.Code.UNAVAILABLE),
    ISSUER_UNAVAILABLE("issuer_unavailable", Status.Code.UNAVAILABLE);

    private final String tag;
    private final Status.Code code;

    Reason(String tag, Status.Code code) {
      this.tag = tag;
      this.code = code;
    }

    public String tag() {
      return tag;
    }

    public Status.Code code() {
      return code;
    }
  }

  private final Reason reason;

  public CertifyRefused(Reason reason, String message) {
    // A refusal is an answer, not a bug: no stack trace to fill.
    super(message, null, false, false);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }

  /** Never null: every refusal is made with a message. */
  @Override
  public String getMessage() {
    return java.util.Objects.requireNonNull(super.getMessage());
  }

  public Status toStatus() {
    return Status.fromCode(reason.code()).withDescription(getMessage());
  }
}
