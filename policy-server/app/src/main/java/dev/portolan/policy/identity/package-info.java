/**
 * The identity service: {@code io.linkerd.proxy.identity.Identity/Certify}. It checks a proxy's
 * certificate signing request and ServiceAccount token and signs a short-lived leaf certificate
 * with the issuer, which chains to the trust anchor. See docs/identity.md.
 */
@NullMarked
package dev.portolan.policy.identity;

import org.jspecify.annotations.NullMarked;
