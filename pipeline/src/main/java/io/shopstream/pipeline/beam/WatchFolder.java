package io.shopstream.pipeline.beam;

import io.shopstream.pipeline.core.files.FileVersion;
import io.shopstream.pipeline.core.files.InputFolder;
import io.shopstream.pipeline.core.files.ProcessedFiles;
import io.shopstream.pipeline.core.store.JdbcConfig;
import io.shopstream.pipeline.core.watch.Watcher;
import java.util.List;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/**
 * The versions of the files in a folder that the ledger has not committed, on every runner, in
 * lists of versions found together (see {@link FolderWatchSource}): {@link IngestFiles} takes them
 * so, with no step between that a Spark micro-batch would have to build and clean.
 */
public final class WatchFolder extends PTransform<PBegin, PCollection<List<FileVersion>>> {

  private final String folder;
  private final JdbcConfig database;
  private final ProcessedFiles processed;
  private final Watcher.Settings settings;

  public WatchFolder(
      String folder, JdbcConfig database, ProcessedFiles processed, Watcher.Settings settings) {
    this.folder = folder;
    this.database = database;
    this.processed = processed;
    this.settings = settings;
  }

  @Override
  public PCollection<List<FileVersion>> expand(PBegin begin) {
    return begin.apply(
        "ListUncommittedVersions",
        Read.from(new FolderWatchSource(new InputFolder(folder), database, processed, settings)));
  }
}
