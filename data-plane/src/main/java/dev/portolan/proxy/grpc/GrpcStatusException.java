package dev.portolan.proxy.grpc;

import org.jspecify.annotations.Nullable;

/**
 * A call that ended without OK: the gRPC status code (the numbers of the gRPC spec) and its
 * description, as the server sent them or as the client concluded (connection lost, deadline).
 */
public final class GrpcStatusException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The gRPC status codes the proxy distinguishes; the rest keep their number. */
  public enum Code {
    OK,
    CANCELLED,
    UNKNOWN,
    INVALID_ARGUMENT,
    DEADLINE_EXCEEDED,
    NOT_FOUND,
    ALREADY_EXISTS,
    PERMISSION_DENIED,
    RESOURCE_EXHAUSTED,
    FAILED_PRECONDITION,
    ABORTED,
    OUT_OF_RANGE,
    UNIMPLEMENTED,
    INTERNAL,
    UNAVAILABLE,
    DATA_LOSS,
    UNAUTHENTICATED;

    /** The code of a {@code grpc-status} value; UNKNOWN for a number outside the spec. */
    static Code of(int value) {
      Code[] all = values();
      return value >= 0 && value < all.length ? all[value] : UNKNOWN;
    }
  }

  private final Code code;
  private final @Nullable String description;

  GrpcStatusException(Code code, @Nullable String description, @Nullable Throwable cause) {
    super(description == null ? code.name() : code + ": " + description, cause);
    this.code = code;
    this.description = description;
  }

  public Code code() {
    return code;
  }

  public @Nullable String description() {
    return description;
  }
}
