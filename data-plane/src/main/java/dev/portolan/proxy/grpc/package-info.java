/** The proxy's gRPC client to the policy-server, on Netty's HTTP/2 codec. */
@org.jspecify.annotations.NullMarked
package dev.portolan.proxy.grpc;
