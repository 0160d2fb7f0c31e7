@org.jspecify.annotations.NullMarked
package dev.portolan.policy.source;
