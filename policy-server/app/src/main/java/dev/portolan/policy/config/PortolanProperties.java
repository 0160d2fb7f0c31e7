package dev.portolan.policy.config;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings under {@code portolan.*}; each can be given as {@code --portolan.x=y} on the command
 * line. Port 0 means "pick a free port".
 *
 * @param source {@code manifests} (the embedded default) or {@code kubernetes}
 */
@ConfigurationProperties("portolan")
public record PortolanProperties(
    @DefaultValue("manifests") String source,
    @DefaultValue Manifests manifests,
    @DefaultValue Grpc grpc,
    @DefaultValue("25,587,3306,4444,5432,6379,9300,11211") String defaultOpaquePorts,
    @DefaultValue("cluster.local") String clusterDomain,
    @DefaultValue("cluster.local") String trustDomain,
    @DefaultValue("portolan") String controlPlaneNamespace,
    @DefaultValue("4143") int inboundPort,
    @DefaultValue("4191") int adminPort,
    @DefaultValue("10s") Duration detectTimeout) {

  /**
   * @param dir the directory of Kubernetes YAML served in manifests mode
   * @param reloadQuietPeriod how long the directory must be quiet before a reload
   */
  public record Manifests(
      @DefaultValue("examples") Path dir, @DefaultValue("100ms") Duration reloadQuietPeriod) {}

  public record Grpc(@DefaultValue("8086") int port) {}
}
