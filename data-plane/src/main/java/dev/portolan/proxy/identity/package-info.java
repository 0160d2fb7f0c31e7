/**
 * The proxy's own mesh identity: its key, its certificate request, {@code Identity.Certify} against
 * the policy-server and the renewal of the certificate (docs/design/identity.md).
 */
@NullMarked
package dev.portolan.proxy.identity;

import org.jspecify.annotations.NullMarked;
