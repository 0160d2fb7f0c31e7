package dev.portolan.policy;

/**
 * Puts objects into a source the way a user would: a named group of YAML documents ("a file") is
 * written or replaced as a whole; objects dropped from a group are deleted.
 */
public interface ClusterDriver {
  ClusterDriver write(String group, String yaml);

  ClusterDriver delete(String group);
}
