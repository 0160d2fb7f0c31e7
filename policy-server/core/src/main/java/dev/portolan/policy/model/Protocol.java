package dev.portolan.policy.model;

import java.time.Duration;

/** The effective protocol of a port: detect it, or a declared one. */
public sealed interface Protocol {
  Opaque OPAQUE = new Opaque();
  Http1 HTTP1 = new Http1();
  Http2 HTTP2 = new Http2();
  Grpc GRPC = new Grpc();
  Tls TLS = new Tls();

  /** Lower-case name used in JSON, labels and logs: detect, opaque, http1, http2, grpc, tls. */
  String id();

  default boolean isOpaque() {
    return this instanceof Opaque;
  }

  record Detect(Duration timeout) implements Protocol {
    @Override
    public String id() {
      return "detect";
    }
  }

  record Opaque() implements Protocol {
    @Override
    public String id() {
      return "opaque";
    }
  }

  record Http1() implements Protocol {
    @Override
    public String id() {
      return "http1";
    }
  }

  record Http2() implements Protocol {
    @Override
    public String id() {
      return "http2";
    }
  }

  record Grpc() implements Protocol {
    @Override
    public String id() {
      return "grpc";
    }
  }

  record Tls() implements Protocol {
    @Override
    public String id() {
      return "tls";
    }
  }
}
