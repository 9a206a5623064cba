package io.shopstream.pipeline.core.files;

import io.shopstream.pipeline.core.parse.FileLines;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What becomes of an input file once its version is committed ({@code --processedAction}): kept,
 * archived under its name plus version ({@code a.csv} to {@code a.1767261600000-2048.csv}), or
 * deleted. Only a committed version is touched, so a crash at any step loses nothing: the watcher
 * finds the committed version still in the folder and finishes the job.
 *
 * <p>An archive is a hard link on the input's file system and a copy on another one, which may not
 * keep a file's modification time: either goes to a hidden name in the archive folder, is fsynced,
 * checked against the version (a file rewritten while it was copied stays, as the new version it
 * is), renamed into place and its folder fsynced. Only then is the input removed, so the input file
 * is never gone before its archived copy is durable; a crash after the copy finds the copy whole
 * and does not make another. Nothing is ever copied into the input folder.
 *
 * <p>The input is removed by renaming it to a hidden {@code .deleting} name first and checking what
 * was renamed: a new version that took the name in the instant before the rename is renamed back at
 * once (a rename keeps the file's modification time, so it stays the version that landed); anything
 * else is deleted.
 */
public final class ProcessedFiles implements Serializable {

  private static final Logger LOG = LoggerFactory.getLogger(ProcessedFiles.class);
  private static final String DELETING = ".deleting";
  private static final String TEMPORARY = ".tmp";

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

  /**
   * The archived name: the version between the name and its ending ({@code .csv}, {@code .jsonl},
   * either with {@code .gz}).
   */
  public static String archivedName(FileVersion version) {
    String name = version.name();
    int ending = name.lastIndexOf(FileLines.isJsonLines(name) ? ".jsonl" : ".csv");
    return name.substring(0, ending)
        + "."
        + version.modifiedMillis()
        + "-"
        + version.size()
        + name.substring(ending);
  }

  /**
   * Archives or deletes the committed version's file if it is still that version. A failure is
   * logged, not thrown: the file stays, committed, and the watcher tries again when it lists it.
   */
  public void apply(FileVersion committed) {
    if (action == Action.keep) {
      return;
    }
    try {
      if (!isCurrent(committed)) {
        return; // gone (another reader moved it) or replaced: the new version is the watcher's
      }
      if (action == Action.archive && !archive(committed)) {
        return;
      }
      remove(committed);
    } catch (IOException e) {
      LOG.warn(
          "Could not {} {} ({}); it stays in the input folder, committed, and is tried again",
          action,
          committed,
          e.toString());
    }
  }

  /** Copies the version durably into the archive; false if the file changed meanwhile. */
  private boolean archive(FileVersion committed) throws IOException {
    Path target = Path.of(archiveDir).resolve(archivedName(committed));
    if (Files.exists(target) && Files.size(target) == committed.size()) {
      return true; // copied before a crash or a failed removal: only published copies exist
    }
    // A name of its own: another reader may be archiving the same version at the same moment.
    Path temp =
        target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + TEMPORARY);
    try {
      copyOrLink(Path.of(committed.path()), temp);
    } catch (NoSuchFileException e) {
      if (isCurrent(committed)) {
        throw e;
      }
      return false; // the other reader archived and removed it first
    }
    if (!isCurrent(committed) || Files.size(temp) != committed.size()) {
      Files.delete(temp); // rewritten while copied: the copy may mix versions
      return false;
    }
    Durable.publish(temp, target);
    // Where the other reader's link took the name first, the rename did nothing: a rename onto
    // another name of the same file keeps both.
    Files.deleteIfExists(temp);
    return true;
  }

  /** A hard link where the archive is on the input's file system (instant), a copy elsewhere. */
  private static void copyOrLink(Path file, Path temp) throws IOException {
    try {
      Files.createLink(temp, file);
    } catch (IOException | UnsupportedOperationException otherFileSystem) {
      Files.copy(file, temp);
    }
  }

  /** Removes the input file if it is the committed version. */
  private static void remove(FileVersion committed) throws IOException {
    Path file = Path.of(committed.path());
    Path deleting = file.resolveSibling("." + committed.name() + DELETING); // hidden: not listed
    try {
      Files.move(file, deleting, StandardCopyOption.ATOMIC_MOVE);
    } catch (NoSuchFileException e) {
      return; // another reader removed it first
    }
    settle(deleting, file, committed::equals);
  }

  /**
   * Deletes a file renamed to its {@code .deleting} name if it is a committed version, and renames
   * it back otherwise (or, if its name was taken again meanwhile, leaves it visible beside it).
   */
  private static void settle(Path deleting, Path file, Predicate<FileVersion> committed)
      throws IOException {
    Optional<FileVersion> taken =
        InputFolder.current(deleting.toString())
            .map(v -> new FileVersion(file.toString(), v.size(), v.modifiedMillis()));
    if (taken.isEmpty()) {
      return;
    }
    if (committed.test(taken.get())) {
      Durable.delete(deleting);
    } else if (Files.exists(file)) {
      Path beside = file.resolveSibling("restored-" + System.nanoTime() + "-" + file.getFileName());
      Files.move(deleting, beside, StandardCopyOption.ATOMIC_MOVE);
      LOG.warn("{} landed while it was being removed; kept as {}", taken.get(), beside);
    } else {
      Files.move(deleting, file, StandardCopyOption.ATOMIC_MOVE);
    }
  }

  private static boolean isCurrent(FileVersion version) throws IOException {
    return InputFolder.current(version.path()).equals(Optional.of(version));
  }

  /** Which of these versions the file ledger holds. */
  public interface CommittedOf {
    Set<FileVersion> committed(List<FileVersion> versions) throws SQLException;
  }

  /**
   * Finishes what a crash cut short, before the pipeline starts: hidden {@code .deleting} files in
   * the input folder are deleted when the ledger holds their version and renamed back otherwise;
   * temporary copies in the archive folder are removed.
   */
  public void recover(Path inputDir, CommittedOf ledger) throws IOException, SQLException {
    Map<Path, Path> files = new LinkedHashMap<>();
    List<FileVersion> versions = new ArrayList<>();
    for (Path deleting : Durable.hidden(inputDir, DELETING)) {
      String name = deleting.getFileName().toString();
      Path file = inputDir.resolve(name.substring(1, name.length() - DELETING.length()));
      files.put(deleting, file);
      InputFolder.current(deleting.toString())
          .ifPresent(
              v -> versions.add(new FileVersion(file.toString(), v.size(), v.modifiedMillis())));
    }
    Set<FileVersion> committed = ledger.committed(versions);
    for (Map.Entry<Path, Path> each : files.entrySet()) {
      settle(each.getKey(), each.getValue(), committed::contains);
    }
    if (action == Action.archive) {
      Durable.removeHidden(Path.of(archiveDir), TEMPORARY);
    }
  }
}
