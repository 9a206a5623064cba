package io.shopstream.pipeline.beam;

import io.shopstream.pipeline.core.files.FileVersion;
import io.shopstream.pipeline.core.files.InputFolder;
import io.shopstream.pipeline.core.files.ProcessedFiles;
import io.shopstream.pipeline.core.store.JdbcConfig;
import io.shopstream.pipeline.core.watch.Watcher;
import java.io.IOException;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.joda.time.Instant;

/**
 * The {@link Watcher} as an unbounded source: each element is a list of versions found together,
 * stamped with when it was handed out; the watermark is the current time. It stands where a reader
 * would expect {@code FileIO.match().continuously()}, a splittable DoFn the SparkRunner cannot
 * translate, and because PostgreSQL, not the runner's checkpoint, decides what has been ingested
 * (docs/reference.md).
 *
 * <p>The checkpoint mark holds the versions in flight, trusted only by a reader in the JVM that
 * wrote it (the DirectRunner re-creates readers from marks as it goes): a restarted pipeline hands
 * out every uncommitted version again, whatever checkpoint it resumed from.
 */
public final class FolderWatchSource
    extends UnboundedSource<List<FileVersion>, FolderWatchSource.Mark> {

  /** This JVM: a mark written by another one (before a restart) is not trusted. */
  private static final String PROCESS = UUID.randomUUID().toString();

  private final InputFolder folder;
  private final JdbcConfig database;
  private final ProcessedFiles processed;
  private final Watcher.Settings settings;
  private final int split;
  private final int splits;

  FolderWatchSource(
      InputFolder folder,
      JdbcConfig database,
      ProcessedFiles processed,
      Watcher.Settings settings) {
    this(folder, database, processed, settings, 0, 1);
  }

  private FolderWatchSource(
      InputFolder folder,
      JdbcConfig database,
      ProcessedFiles processed,
      Watcher.Settings settings,
      int split,
      int splits) {
    this.folder = folder;
    this.database = database;
    this.processed = processed;
    this.settings = settings;
    this.split = split;
    this.splits = splits;
  }

  /** The versions in flight, with when they were handed out, and the JVM that handed them out. */
  record Mark(String process, Map<FileVersion, Long> inFlight)
      implements UnboundedSource.CheckpointMark, Serializable {
    @Override
    public void finalizeCheckpoint() {}
  }

  /** Every split watches the whole folder; the ingest's locks share the versions out. */
  @Override
  public List<FolderWatchSource> split(int desiredNumSplits, PipelineOptions options) {
    int n = Math.max(1, desiredNumSplits);
    return IntStream.range(0, n)
        .mapToObj(i -> new FolderWatchSource(folder, database, processed, settings, i, n))
        .toList();
  }

  @Override
  public UnboundedReader<List<FileVersion>> createReader(PipelineOptions options, Mark mark) {
    boolean trusted = mark != null && mark.process().equals(PROCESS); // a Spark mark is empty
    return new Reader(
        this,
        new Watcher(
            folder,
            database,
            processed,
            settings,
            split,
            splits,
            trusted ? mark.inFlight() : Map.of()));
  }

  @Override
  public Coder<Mark> getCheckpointMarkCoder() {
    return SerializableCoder.of(Mark.class);
  }

  @Override
  public Coder<List<FileVersion>> getOutputCoder() {
    return FileVersionCoders.LIST;
  }

  private static final class Reader extends UnboundedReader<List<FileVersion>> {
    private final FolderWatchSource source;
    private final Watcher watcher;
    private List<FileVersion> current;
    private Instant currentTimestamp;

    Reader(FolderWatchSource source, Watcher watcher) {
      this.source = source;
      this.watcher = watcher;
    }

    @Override
    public boolean start() throws IOException {
      watcher.start();
      return advance();
    }

    @Override
    public boolean advance() throws IOException {
      current = watcher.next();
      currentTimestamp = Instant.now();
      return current != null;
    }

    @Override
    public List<FileVersion> getCurrent() {
      if (current == null) {
        throw new NoSuchElementException();
      }
      return current;
    }

    @Override
    public Instant getCurrentTimestamp() {
      if (current == null) {
        throw new NoSuchElementException();
      }
      return currentTimestamp;
    }

    @Override
    public Instant getWatermark() {
      return Instant.now();
    }

    /** Spark takes the mark at the end of each micro-batch's read. */
    @Override
    public Mark getCheckpointMark() {
      return new Mark(PROCESS, watcher.inFlight());
    }

    @Override
    public UnboundedSource<List<FileVersion>, ?> getCurrentSource() {
      return source;
    }

    @Override
    public void close() throws IOException {
      watcher.close();
    }
  }
}
