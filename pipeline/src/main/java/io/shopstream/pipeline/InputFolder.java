package io.shopstream.pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.channels.Channels;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MatchResult.Metadata;

/**
 * The folder files land in (SPEC.md section 3): which input files it holds now, as {@link
 * FileVersion}s, and their bytes. A local folder is read through {@code java.nio} so that symbolic
 * links are never followed, neither when listing nor when opening (Beam's local file system follows
 * them); any other path (s3://, hdfs://) goes through Beam's {@link FileSystems}.
 */
final class InputFolder implements Serializable {

  private static final long serialVersionUID = 1L;
  private final String folder;

  InputFolder(String folder) {
    this.folder = folder.replaceAll("(?<!/)/+$", "");
  }

  private static boolean local(String path) {
    return !path.contains("://");
  }

  /**
   * Only visible CSV files: writers land files by renaming a hidden ({@code .} or {@code _}) one.
   */
  static boolean isInputName(String name) {
    return name.endsWith(".csv") && !name.startsWith(".") && !name.startsWith("_");
  }

  /** The input files in the folder now: regular files only, never directories or links. */
  List<FileVersion> list() throws IOException {
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

  /** The version of the file at {@code path} now, empty if it is gone or not a regular file. */
  static Optional<FileVersion> current(String path) throws IOException {
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
  static InputStream open(FileVersion version) throws IOException {
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
