package dev.portolan.policy.grpc;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * TLS on the proxy-facing gRPC port (docs/identity.md, "The proxy's connection to the
 * policy-server"). The port and the listener settings sit beside these under {@code portolan.grpc}.
 *
 * @param tls {@code off} (plaintext, the embedded default and tools), {@code optional} (TLS and
 *     plaintext on the same port) or {@code required} (TLS only)
 * @param tlsServiceAccount the ServiceAccount name of the port's own identity, {@code
 *     <this>.<controlNs>.serviceaccount.identity.<controlNs>.<trustDomain>}
 */
@ConfigurationProperties("portolan.grpc")
public record GrpcTlsProperties(
    @DefaultValue("off") Mode tls, @DefaultValue("portolan-policy") String tlsServiceAccount) {

  /** Whether the port speaks TLS. */
  public enum Mode {
    OFF,
    OPTIONAL,
    REQUIRED
  }

  public static GrpcTlsProperties defaults() {
    return new GrpcTlsProperties(Mode.OFF, "portolan-policy");
  }
}
