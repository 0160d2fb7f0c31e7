package dev.portolan.policy.identity;

import static dev.portolan.policy.identity.IdentityDomain.shown;

import dev.portolan.policy.identity.CertifyRefused.Reason;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * Cluster mode: the API server says whose token it is (a TokenReview, authentication.k8s.io/v1,
 * which needs {@code create tokenreviews}). Only ServiceAccount users are accepted.
 */
public final class TokenReviewAuthenticator implements TokenAuthenticator {
  private static final String PREFIX = "system:serviceaccount:";
  private final KubernetesClient client;
  private final List<String> audiences;
  private final Duration timeout;

  /**
   * @param audiences the audiences the token must be meant for; empty means the API server's own
   * @param timeout how long to wait for the answer
   */
  public TokenReviewAuthenticator(
      KubernetesClient client, List<String> audiences, Duration timeout) {
    this.client = client;
    this.audiences = List.copyOf(audiences);
    this.timeout = timeout;
  }

  @Override
  public ServiceAccount authenticate(byte[] token, ServiceAccount requested) throws CertifyRefused {
    String text = text(token);
    TokenReview review =
        new TokenReviewBuilder()
            .withNewSpec()
            .withToken(text)
            .withAudiences(audiences.isEmpty() ? null : audiences)
            .endSpec()
            .build();
    TokenReview answer = review(review);
    TokenReviewStatus status = answer == null ? null : answer.getStatus();
    if (status == null || !Boolean.TRUE.equals(status.getAuthenticated())) {
      String why =
          status == null || status.getError() == null ? "" : ": " + shown(status.getError());
      throw new CertifyRefused(
          Reason.UNAUTHENTICATED, "the API server did not authenticate the token" + why);
    }
    if (!audiences.isEmpty()
        && (status.getAudiences() == null
            || status.getAudiences().stream().noneMatch(audiences::contains))) {
      throw new CertifyRefused(
          Reason.UNAUTHENTICATED, "the token is not meant for audiences " + audiences);
    }
    String user = status.getUser() == null ? null : status.getUser().getUsername();
    return serviceAccount(user == null ? "" : user);
  }

  private TokenReview review(TokenReview review) throws CertifyRefused {
    return ApiCall.within(
        timeout,
        Reason.TOKEN_REVIEW_FAILED,
        "TokenReview",
        "; is 'create tokenreviews' granted?",
        () -> client.authentication().v1().tokenReviews().create(review));
  }

  /** {@code system:serviceaccount:<ns>:<sa>} → the account; any other user is refused. */
  static ServiceAccount serviceAccount(String username) throws CertifyRefused {
    String[] parts =
        username.startsWith(PREFIX) ? username.substring(PREFIX.length()).split(":", -1) : null;
    if (parts == null || parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
      throw new CertifyRefused(
          Reason.WRONG_SERVICE_ACCOUNT,
          "the token belongs to user " + shown(username) + ", not to a ServiceAccount");
    }
    return new ServiceAccount(parts[0], parts[1]);
  }

  static String text(byte[] token) throws CertifyRefused {
    if (token.length == 0) {
      throw new CertifyRefused(Reason.UNAUTHENTICATED, "no token in the request");
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(token)).toString().strip();
    } catch (CharacterCodingException e) {
      throw new CertifyRefused(Reason.UNAUTHENTICATED, "the token is not UTF-8 text");
    }
  }

  @Override
  public String describe() {
    return "TokenReview (authentication.k8s.io/v1)"
        + (audiences.isEmpty() ? "" : " for audiences " + audiences);
  }
}
