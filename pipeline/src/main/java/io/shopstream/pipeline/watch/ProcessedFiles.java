package io.shopstream.pipeline.watch;

import io.shopstream.pipeline.FileVersion;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What becomes of an input file once its version is committed ({@code --processedAction}): kept,
 * moved to the archive folder under its name plus version ({@code a.csv} to {@code
 * a.1767261600000-2048.csv}), or deleted. Only a committed version is moved, so a crash between the
 * commit and the move loses nothing: the watcher finds the committed version still in the folder
 * and moves it then. A file replaced meanwhile by a new version is left for the watcher to read.
 */
public final class ProcessedFiles implements Serializable {

  private static final Logger LOG = LoggerFactory.getLogger(ProcessedFiles.class);

  /** The values of {@code --processedAction}, as users type them. */
  public enum Action {
    keep,
    archive,
    delete
  }

  public static final ProcessedFiles KEEP = new ProcessedFiles(Action.keep, null);

  private final Action action;
  private final String archiveDir;

  public ProcessedFiles(Action action, String archiveDir) {
    this.action = action;
    this.archiveDir = archiveDir;
  }

  boolean keeps() {
    return action == Action.keep;
  }

  /** The archived name: the version between the name and its {@code .csv} ending. */
  public static String archivedName(FileVersion version) {
    String name = version.name();
    int ending = name.lastIndexOf(".csv");
    return name.substring(0, ending)
        + "."
        + version.modifiedMillis()
        + "-"
        + version.size()
        + name.substring(ending);
  }

  /**
   * Archives or deletes the committed version's file if it is still that version. A failure is
   * logged, not thrown: the file stays, committed, and is moved at the watcher's next start.
   */
  public void apply(FileVersion committed) {
    if (keeps()) {
      return;
    }
    try {
      Path file = Path.of(committed.path());
      if (!InputFolder.current(committed.path()).equals(Optional.of(committed))) {
        return; // gone (another reader moved it) or replaced: the new version is the watcher's
      }
      Path target =
          action == Action.archive
              ? Path.of(archiveDir).resolve(archivedName(committed))
              : file.resolveSibling("." + committed.name() + ".deleting"); // hidden: not listed
      try {
        Files.move(file, target, StandardCopyOption.REPLACE_EXISTING);
      } catch (NoSuchFileException e) {
        return; // another reader moved it first
      }
      if (!isVersion(target, committed)) { // a new version renamed in between: it goes back
        putBack(target, file);
      } else if (action == Action.delete) {
        Files.deleteIfExists(target);
      }
    } catch (IOException e) {
      LOG.warn(
          "Could not {} {} ({}); it stays in the input folder, committed",
          action,
          committed,
          e.toString());
    }
  }

  private static boolean isVersion(Path file, FileVersion version) throws IOException {
    BasicFileAttributes attributes =
        Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    return attributes.size() == version.size()
        && attributes.lastModifiedTime().toMillis() == version.modifiedMillis();
  }

  private static void putBack(Path moved, Path file) throws IOException {
    try {
      Files.move(moved, file);
    } catch (FileAlreadyExistsException e) {
      // Yet another version landed: keep this one beside it, visible, to be read as its own file.
      Files.move(
          moved, file.resolveSibling("restored-" + System.nanoTime() + "-" + file.getFileName()));
    }
  }
}
