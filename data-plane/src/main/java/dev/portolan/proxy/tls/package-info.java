/**
 * Mesh TLS between proxies: TLS 1.3 contexts made from the proxy's current certificate, peer
 * verification against the trust anchors and the expected identity, and a ClientHello peek
 * (docs/design/identity.md).
 */
@NullMarked
package dev.portolan.proxy.tls;

import org.jspecify.annotations.NullMarked;
