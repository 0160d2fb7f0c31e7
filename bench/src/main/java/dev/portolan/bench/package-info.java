@org.jspecify.annotations.NullMarked
package dev.portolan.bench;
