package io.shopstream.pipeline.core.files;

import io.shopstream.pipeline.core.parse.FileLines;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.channels.Channels;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MatchResult.Metadata;

/**
 * The folder files land in (docs/reference.md): which input files it holds now, as {@link
 * FileVersion}s, and their bytes. A local folder is read through {@code java.nio} so that symbolic
 * links are never followed, neither when listing nor when opening (Beam's local file system follows
 * them); any other path (s3://, hdfs://) goes through Beam's {@link FileSystems}.
 */
public final class InputFolder implements Serializable {

  private static final long serialVersionUID = 1L;
  private final String folder;

  public InputFolder(String folder) {
    this.folder = folder.replaceAll("(?<!/)/+$", "");
  }

  private static boolean local(String path) {
    return !path.contains("://");
  }

  /**
   * Only visible input files (CSV or JSON Lines, plain or gzipped): writers land files by renaming
   * a hidden ({@code .} or {@code _}) one.
   */
  static boolean isInputName(String name) {
    return FileLines.isInputFormat(name) && !name.startsWith(".") && !name.startsWith("_");
  }

  /** The input files in the folder now: regular files only, never directories or links. */
  public List<FileVersion> list() throws IOException {
    List<FileVersion> files = new ArrayList<>();
    if (local(folder)) {
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(Path.of(folder))) {
        for (Path entry : entries) {
          if (isInputName(entry.getFileName().toString())) {
            stat(entry).ifPresent(files::add);
          }
        }
      } catch (NoSuchFileException e) {
        return files;
      }
      return files;
    }
    MatchResult result = FileSystems.match(folder + "/*", EmptyMatchTreatment.ALLOW_IF_WILDCARD);
    if (result.status() == MatchResult.Status.OK) {
      for (Metadata file : result.metadata()) {
        String name = file.resourceId().getFilename();
        if (name != null && isInputName(name) && !file.resourceId().isDirectory()) {
          files.add(
              new FileVersion(
                  file.resourceId().toString(), file.sizeBytes(), file.lastModifiedMillis()));
        }
      }
    }
    return files;
  }

  /**
   * Notices of input files landing or changing in a local folder (inotify on Linux), so that a
   * reader looks at them as soon as they land instead of at its next listing, and need not list a
   * folder of thousands of files to find one; none for other file systems, which are only listed,
   * and where the system refuses a watch (its inotify limits), with why.
   */
  public Landings landings() {
    if (!local(folder)) {
      return Landings.NONE;
    }
    try {
      WatchService watcher = Path.of(folder).getFileSystem().newWatchService();
      try {
        Path.of(folder)
            .register(
                watcher,
                StandardWatchEventKinds.ENTRY_CREATE,
                StandardWatchEventKinds.ENTRY_MODIFY);
      } catch (IOException | RuntimeException e) {
        watcher.close();
        throw e;
      }
      return new Landings(watcher);
    } catch (IOException e) {
      return new Landings(e.toString());
    }
  }

  /**
   * What the notices since the last call told: the input names created, renamed in or written, or
   * that some were lost (the system's queue overflowed), when only a listing tells what is there.
   */
  public record Notices(Set<String> names, boolean lost) {
    static final Notices NONE = new Notices(Set.of(), false);
  }

  /** Files landing (created, renamed into the folder or written), as the operating system tells. */
  public static final class Landings implements Closeable {
    public static final Landings NONE = new Landings((String) null);
    private final WatchService watcher;
    public final String unavailable;

    private Landings(WatchService watcher) {
      this.watcher = watcher;
      this.unavailable = null;
    }

    private Landings(String unavailable) {
      this.watcher = null;
      this.unavailable = unavailable;
    }

    /** Whether notices come: without them only a listing finds a file. */
    public boolean notifies() {
      return watcher != null;
    }

    /** Waits up to {@code millis} (0: not at all) for a notice; what the notices told. */
    public Notices await(long millis) throws InterruptedException {
      if (watcher == null) {
        Thread.sleep(millis);
        return Notices.NONE;
      }
      try {
        WatchKey key = millis > 0 ? watcher.poll(millis, TimeUnit.MILLISECONDS) : watcher.poll();
        if (key == null) {
          return Notices.NONE;
        }
        Set<String> names = new HashSet<>();
        boolean lost = false;
        for (WatchEvent<?> event : key.pollEvents()) {
          if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
            lost = true;
          } else if (isInputName(event.context().toString())) {
            names.add(event.context().toString());
          }
        }
        key.reset();
        return new Notices(names, lost);
      } catch (ClosedWatchServiceException e) {
        return Notices.NONE;
      }
    }

    @Override
    public void close() throws IOException {
      if (watcher != null) {
        watcher.close();
      }
    }
  }

  /** The versions of the named input files in the folder now, of those still there. */
  public List<FileVersion> versions(Collection<String> names) throws IOException {
    List<FileVersion> versions = new ArrayList<>();
    for (String name : names) {
      current(folder + "/" + name).ifPresent(versions::add);
    }
    return versions;
  }

  /** The version of the file at {@code path} now, empty if it is gone or not a regular file. */
  public static Optional<FileVersion> current(String path) throws IOException {
    if (local(path)) {
      return stat(Path.of(path));
    }
    MatchResult result = FileSystems.match(List.of(path)).get(0);
    if (result.status() != MatchResult.Status.OK || result.metadata().isEmpty()) {
      return Optional.empty();
    }
    Metadata file = result.metadata().get(0);
    return Optional.of(new FileVersion(path, file.sizeBytes(), file.lastModifiedMillis()));
  }

  private static Optional<FileVersion> stat(Path file) throws IOException {
    try {
      BasicFileAttributes attributes =
          Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!attributes.isRegularFile()) {
        return Optional.empty();
      }
      return Optional.of(
          new FileVersion(
              file.toString(), attributes.size(), attributes.lastModifiedTime().toMillis()));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /** The file's bytes; a local file that has become a symbolic link is refused. */
  public static InputStream open(FileVersion version) throws IOException {
    if (local(version.path())) {
      return Channels.newInputStream(
          Files.newByteChannel(
              Path.of(version.path()), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
    }
    return Channels.newInputStream(
        FileSystems.open(FileSystems.matchNewResource(version.path(), false)));
  }

  @Override
  public String toString() {
    return folder;
  }
}
