package dev.portolan.proxy;

import java.util.Locale;

/**
 * {@code PORTOLAN_LOG_LEVEL}: one level for everything the proxy logs. The proxy's own code and
 * Netty log through SLF4J (slf4j-simple, a few classes instead of a logging framework: memory per
 * pod counts), the control-plane client too ({@code grpc}); nothing in the proxy logs through
 * {@code java.util.logging}.
 */
public enum LogLevel {
  ERROR,
  WARN,
  INFO,
  DEBUG,
  TRACE;

  /**
   * @throws IllegalArgumentException naming the value and the accepted ones
   */
  public static LogLevel parse(String setting) {
    String s = setting.strip().toUpperCase(Locale.ROOT);
    if (s.isEmpty()) {
      return INFO;
    }
    if (s.equals("WARNING")) {
      return WARN;
    }
    for (LogLevel l : values()) {
      if (l.name().equals(s)) {
        return l;
      }
    }
    throw new IllegalArgumentException(
        "PORTOLAN_LOG_LEVEL: '" + setting + "' is not one of error, warn, info, debug, trace");
  }

  /**
   * Must run before anything creates a logger (Netty does so as soon as a transport is probed):
   * slf4j-simple reads its settings once, at its first logger.
   */
  public void apply() {
    // Chosen explicitly rather than discovered: no classpath scan, and no ambiguity when a test
    // classpath also carries another SLF4J provider.
    System.setProperty("slf4j.provider", "org.slf4j.simple.SimpleServiceProvider");
    System.setProperty("slf4j.internal.verbosity", "WARN");
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", label());
    System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
    System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    System.setProperty("org.slf4j.simpleLogger.showShortLogName", "true");
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
