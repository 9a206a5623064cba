package io.shopstream.pipeline.core.ingest;

import io.shopstream.pipeline.core.files.Durable;
import io.shopstream.pipeline.core.files.FileVersion;
import io.shopstream.pipeline.core.parse.ErrorRecord;
import java.io.IOException;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions.StandardMoveOptions;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * The error records of one file version, as JSON Lines (docs/reference.md), written under a hidden
 * name as they are found and published under {@link FileVersion#errorFileName()} just before the
 * version's transaction commits. In a local folder the file's data is fsynced before the rename and
 * the folder after it, so once the ledger row that names the file commits, the records survive a
 * power cut. If a crash came between publishing and committing, the version is read again and the
 * file already published is kept as it is: it holds the same records, so each record is written
 * once, and a reader of the folder never sees a file half-written. On an object store (S3) a file
 * exists once its upload completes, and there is no folder to sync; on HDFS a closed file is on its
 * data nodes.
 */
final class ErrorFile implements AutoCloseable {

  private final ResourceId temp;
  private final ResourceId published;
  private Writer out;

  ErrorFile(String errorDir, FileVersion version) {
    ResourceId dir = FileSystems.matchNewResource(errorDir, true);
    String name = version.errorFileName();
    this.published = dir.resolve(name, StandardResolveOptions.RESOLVE_FILE);
    this.temp = dir.resolve("." + name + ".tmp", StandardResolveOptions.RESOLVE_FILE);
  }

  void add(ErrorRecord record) throws IOException {
    if (out == null) {
      out = Channels.newWriter(FileSystems.create(temp, "text/plain"), StandardCharsets.UTF_8);
    }
    out.write(record.toJson());
    out.write('\n');
  }

  /** Publishes the records; returns the file's path, or null when the version had none. */
  String publish() throws IOException {
    if (out == null) {
      return null;
    }
    out.close();
    out = null;
    if (isLocal()) {
      publishLocally(Path.of(temp.toString()), Path.of(published.toString()));
    } else if (exists(published)) {
      FileSystems.delete(List.of(temp), StandardMoveOptions.IGNORE_MISSING_FILES);
    } else {
      FileSystems.rename(List.of(temp), List.of(published));
    }
    return published.toString();
  }

  private static void publishLocally(Path temp, Path published) throws IOException {
    if (Files.exists(published)) { // published by an attempt that did not commit: the same records
      Files.delete(temp);
      Durable.sync(published);
      Durable.syncFolder(published.getParent());
    } else {
      Durable.publish(temp, published);
    }
  }

  private boolean isLocal() {
    return published.getScheme().equals("file");
  }

  private static boolean exists(ResourceId file) throws IOException {
    return FileSystems.match(List.of(file.toString())).get(0).status() == MatchResult.Status.OK;
  }

  /** Drops what was not published: the version was not committed. */
  @Override
  public void close() throws IOException {
    if (out != null) {
      out.close();
      out = null;
      FileSystems.delete(List.of(temp), StandardMoveOptions.IGNORE_MISSING_FILES);
    }
  }
}
