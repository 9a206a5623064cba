package io.shopstream.pipeline;

import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.io.fs.MatchResult.Metadata;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;

/**
 * The files landing in a folder, each emitted once, on every runner (see {@link
 * FolderWatchSource}).
 */
public final class WatchFolder extends PTransform<PBegin, PCollection<Metadata>> {

  private final String folder;
  private final Duration pollInterval;
  private final Duration settle;

  public WatchFolder(String folder, Duration pollInterval, Duration settle) {
    this.folder = folder;
    this.pollInterval = pollInterval;
    this.settle = settle;
  }

  @Override
  public PCollection<Metadata> expand(PBegin begin) {
    String pattern = folder.replaceAll("/+$", "") + "/*.csv";
    return begin.apply(
        "ListNewFiles",
        Read.from(new FolderWatchSource(pattern, pollInterval.getMillis(), settle.getMillis())));
  }
}
