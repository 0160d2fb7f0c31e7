/**
 * The proxy injector's logic, shared by the admission webhook (policy-server) and the command line:
 * which Pods get a proxy, and the JSON Patch that adds it (docs/injector.md). fabric8's model and
 * Jackson only: no Spring, no Kubernetes client, no server.
 */
@NullMarked
package dev.portolan.inject;

import org.jspecify.annotations.NullMarked;
