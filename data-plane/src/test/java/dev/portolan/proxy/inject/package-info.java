/** The injector's output run as the proxy and proxy-init read it. */
@NullMarked
package dev.portolan.proxy.inject;

import org.jspecify.annotations.NullMarked;
