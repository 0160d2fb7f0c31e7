/**
 * Developer tools that stay out of the production jars: {@link dev.portolan.tools.GrpcCurl}, a
 * small grpcurl used by {@code bin/grpcurl} and by the policy-server's tests.
 */
@NullMarked
package dev.portolan.tools;

import org.jspecify.annotations.NullMarked;
