package dev.portolan.policy.web;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Who reaches which actuator endpoint (docs/operations.md, "Exposure of the ports"). The actuator's
 * bind address is {@code portolan.management.address} (127.0.0.1 unless set), which
 * application.yaml turns into {@code server.address}: the actuator is the HTTP port's only content.
 *
 * @param remoteEndpoints the endpoint ids a request that arrived on a non-loopback address may
 *     reach (their paths and sub-paths); everything else answers only on loopback
 */
@ConfigurationProperties("portolan.management")
public record ManagementProperties(
    @DefaultValue({"health", "prometheus"}) List<String> remoteEndpoints) {

  public ManagementProperties {
    remoteEndpoints = List.copyOf(remoteEndpoints);
  }
}
