/**
 * {@code proxy-init}: the iptables rules that send a pod's TCP through its proxy
 * (docs/design/interception.md).
 */
@NullMarked
package dev.portolan.proxy.init;

import org.jspecify.annotations.NullMarked;
