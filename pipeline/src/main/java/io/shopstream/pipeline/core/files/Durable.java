package io.shopstream.pipeline.core.files;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Local file operations that are on disk when they return, power cut or not: a file's data is
 * fsynced before it is renamed into place, and its folder after the rename, as ext4 and XFS need
 * for the new name itself to survive.
 */
public final class Durable {

  private Durable() {}

  /** Forces the file's data and metadata to disk. */
  public static void sync(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  /** Forces a folder's entries (names created, renamed or removed in it) to disk. */
  public static void syncFolder(Path folder) throws IOException {
    try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  /**
   * Renames {@code temp} (a finished file in the same folder) to {@code target}, durably: the data
   * first, then the name.
   */
  public static void publish(Path temp, Path target) throws IOException {
    sync(temp);
    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    syncFolder(target.getParent());
  }

  /** Removes a file and makes its removal durable. */
  public static void delete(Path file) throws IOException {
    Files.deleteIfExists(file);
    syncFolder(file.getParent());
  }

  /** The hidden files in a folder whose names end so. */
  public static List<Path> hidden(Path folder, String ending) throws IOException {
    List<Path> found = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, ".*" + ending)) {
      files.forEach(found::add);
    }
    return found;
  }

  /** Removes the hidden files whose names end so: what a crash left half-written. */
  public static void removeHidden(Path folder, String ending) throws IOException {
    for (Path file : hidden(folder, ending)) {
      Files.deleteIfExists(file);
    }
  }
}
