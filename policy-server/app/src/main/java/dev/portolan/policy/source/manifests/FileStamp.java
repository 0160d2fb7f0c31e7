package dev.portolan.policy.source.manifests;

import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import org.jspecify.annotations.Nullable;

/**
 * What a stat tells of a file (through links): when none of it changed, the file is not read again.
 * The file key (device and inode) changes when an editor or {@code kubectl} replaces the file by
 * renaming a new one over it, and when a mounted ConfigMap swaps its data directory.
 */
record FileStamp(long size, FileTime modified, @Nullable Object fileKey) {
  static FileStamp of(BasicFileAttributes a) {
    return new FileStamp(a.size(), a.lastModifiedTime(), a.fileKey());
  }
}
