package dev.portolan.policy;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The Portolan policy-server: sources → index → gRPC streams and actuator. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class PolicyServerApplication {
  public static void main(String[] args) {
    SpringApplication.run(PolicyServerApplication.class, args);
  }
}
