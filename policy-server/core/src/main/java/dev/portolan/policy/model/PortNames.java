package dev.portolan.policy.model;

/** Resolves a port name against the object an annotation is on. */
@FunctionalInterface
public interface PortNames {
  /** No names resolve. */
  PortNames NONE = name -> PortSet.EMPTY;

  /** The ports the name stands for; empty when it names nothing. */
  PortSet resolve(String name);
}
