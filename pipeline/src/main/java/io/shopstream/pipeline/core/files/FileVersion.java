package io.shopstream.pipeline.core.files;

import java.io.Serializable;

/**
 * One version of an input file: its path, size and modification time (docs/reference.md). A file
 * re-landed, grown or rewritten is a new version, ingested on its own.
 */
public record FileVersion(String path, long size, long modifiedMillis) implements Serializable {

  /** The file's name without its folder. */
  public String name() {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /**
   * The name of this version's error file: the input name, then its modification time and size, so
   * that every version has its own ({@code a.csv.1767261600000-2048.errors.jsonl}).
   */
  public String errorFileName() {
    return name() + "." + modifiedMillis + "-" + size + ".errors.jsonl";
  }

  @Override
  public String toString() {
    return path
        + " ("
        + size
        + " bytes, modified "
        + java.time.Instant.ofEpochMilli(modifiedMillis)
        + ")";
  }
}
