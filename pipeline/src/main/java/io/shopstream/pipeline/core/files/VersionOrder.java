package io.shopstream.pipeline.core.files;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToLongFunction;

/** The order in which versions are ingested, and how they are grouped into transactions. */
public final class VersionOrder {

  /** The order in which files landed, as far as known. */
  public static final Comparator<FileVersion> OLDEST_FIRST =
      Comparator.comparingLong(FileVersion::modifiedMillis).thenComparing(FileVersion::path);

  /**
   * Versions are ingested together, in one transaction, up to this many bytes (a larger version
   * alone): a transaction of its own costs a small file more than reading it.
   */
  public static final long GROUP_BYTES = 1 << 20;

  private VersionOrder() {}

  /** Consecutive runs of items of up to {@link #GROUP_BYTES} together (a larger one alone). */
  public static <T> List<List<T>> groups(List<T> items, ToLongFunction<T> bytes) {
    List<List<T>> groups = new ArrayList<>();
    List<T> group = null;
    long size = 0;
    for (T item : items) {
      long itemBytes = bytes.applyAsLong(item);
      if (group == null || size + itemBytes > GROUP_BYTES) {
        group = new ArrayList<>();
        groups.add(group);
        size = 0;
      }
      group.add(item);
      size += itemBytes;
    }
    return groups;
  }
}
