@org.jspecify.annotations.NullMarked
package dev.portolan.proxy.discovery;
