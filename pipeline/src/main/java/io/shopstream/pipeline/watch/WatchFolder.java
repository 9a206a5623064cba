package io.shopstream.pipeline.watch;

import io.shopstream.pipeline.FileVersion;
import io.shopstream.pipeline.store.JdbcConfig;
import java.util.List;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;

/**
 * The versions of the files in a folder that the ledger has not committed, on every runner, in
 * lists of versions found together (see {@link FolderWatchSource}): {@link
 * io.shopstream.pipeline.store.IngestFiles} takes them so, and a step flattening them cost every
 * Spark micro-batch three more RDDs to build and clean.
 */
public final class WatchFolder extends PTransform<PBegin, PCollection<List<FileVersion>>> {

  private final String folder;
  private final JdbcConfig database;
  private final Duration pollInterval;
  private final Duration inFlightTimeout;
  private final ProcessedFiles processed;

  public WatchFolder(
      String folder,
      JdbcConfig database,
      Duration pollInterval,
      Duration inFlightTimeout,
      ProcessedFiles processed) {
    this.folder = folder;
    this.database = database;
    this.pollInterval = pollInterval;
    this.inFlightTimeout = inFlightTimeout;
    this.processed = processed;
  }

  @Override
  public PCollection<List<FileVersion>> expand(PBegin begin) {
    return begin.apply(
        "ListUncommittedVersions",
        Read.from(
            new FolderWatchSource(
                new InputFolder(folder),
                database,
                pollInterval.getMillis(),
                inFlightTimeout.getMillis(),
                processed)));
  }
}
