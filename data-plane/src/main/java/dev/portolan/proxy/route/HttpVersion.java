package dev.portolan.proxy.route;

/** The HTTP version a connection is served with. gRPC is HTTP/2. */
public enum HttpVersion {
  HTTP_1("http/1"),
  HTTP_2("http/2");

  private final String label;

  HttpVersion(String label) {
    this.label = label;
  }

  /** The name in logs and metrics ({@code http/1}, {@code http/2}). */
  public String label() {
    return label;
  }
}
