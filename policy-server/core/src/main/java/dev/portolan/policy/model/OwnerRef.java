package dev.portolan.policy.model;

/** The controller owning a Pod (kind as Kubernetes spells it, e.g. ReplicaSet, StatefulSet). */
public record OwnerRef(String kind, String name) {}
