/**
 * Where a connection goes and how it is handled: {@code Route} and the one protocol vocabulary,
 * {@code Handling} (opaque, detect, or a declared {@code HttpVersion}). Written by the routers and
 * discovery, read by the front door and the protocol rooms. Pure: imports the JDK only.
 */
@NullMarked
package dev.portolan.proxy.route;

import org.jspecify.annotations.NullMarked;
