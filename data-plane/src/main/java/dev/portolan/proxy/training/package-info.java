/**
 * The traffic of {@code ProxyMain --train}, for a JDK AOT cache recorded from the data paths. The
 * entry point passes in its event loops and a listener; this package knows neither the entry point
 * nor the front door.
 */
@NullMarked
package dev.portolan.proxy.training;

import org.jspecify.annotations.NullMarked;
