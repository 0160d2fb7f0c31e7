/**
 * Tools that stay out of the production jars: {@link dev.portolan.tools.GrpcCurl}, a small grpcurl
 * used by {@code bin/grpcurl} and by the policy-server's tests, and the {@code portolan} command
 * line in {@code dev.portolan.tools.cli} ({@code bin/portolan}, docs/cli.md).
 */
@NullMarked
package dev.portolan.tools;

import org.jspecify.annotations.NullMarked;
