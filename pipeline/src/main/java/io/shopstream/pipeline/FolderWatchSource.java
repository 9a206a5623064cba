package io.shopstream.pipeline;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.OptionalLong;
import java.util.stream.IntStream;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MatchResult.Metadata;
import org.apache.beam.sdk.io.fs.MetadataCoderV2;
import org.apache.beam.sdk.options.PipelineOptions;
import org.joda.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An unbounded source of the files landing in a folder, listed through Beam's {@link FileSystems}
 * (so any registered file system works). It exists because {@code FileIO.match().continuously()} is
 * a splittable DoFn the SparkRunner cannot translate.
 *
 * <p>Its checkpoint mark is a high-water mark: every file modified at or before {@code horizon} has
 * been emitted, and the names of emitted files modified after it are kept. The horizon trails the
 * newest emitted file by {@code settleMillis}, so the mark's size depends on how many files land in
 * that time, not on how many were ever read; and a restart from the mark never emits a file twice.
 * A file whose modification time is already behind the horizon when it lands (say, an old file
 * moved in with {@code mv}) is not read: touch it first.
 *
 * <p>Elements are stamped with the time the file was found; the watermark is the current time.
 */
final class FolderWatchSource extends UnboundedSource<Metadata, FolderWatchSource.Mark> {

  private static final Logger LOG = LoggerFactory.getLogger(FolderWatchSource.class);

  private final String filepattern;
  private final long pollMillis;
  private final long settleMillis;
  private final int split;
  private final int splits;

  FolderWatchSource(String filepattern, long pollMillis, long settleMillis) {
    this(filepattern, pollMillis, settleMillis, 0, 1);
  }

  private FolderWatchSource(
      String filepattern, long pollMillis, long settleMillis, int split, int splits) {
    this.filepattern = filepattern;
    this.pollMillis = pollMillis;
    this.settleMillis = settleMillis;
    this.split = split;
    this.splits = splits;
  }

  /** Whether this split reads the file: files are spread over splits by name. */
  private boolean owns(Metadata file) {
    return Math.floorMod(file.resourceId().toString().hashCode(), splits) == split;
  }

  /**
   * Only visible CSV files: writers land files by renaming a hidden ({@code .} or {@code _}) one.
   */
  static boolean isInputFile(Metadata file) {
    String name = file.resourceId().getFilename();
    return name != null
        && name.endsWith(".csv")
        && !name.startsWith(".")
        && !name.startsWith("_")
        && !file.resourceId().isDirectory();
  }

  /** What has been emitted: all files modified up to {@code horizon}, plus {@code newer}. */
  static final class Mark implements UnboundedSource.CheckpointMark, Serializable {
    private static final long serialVersionUID = 1L;
    final long horizon;
    final Map<String, Long> newer;

    Mark(long horizon, Map<String, Long> newer) {
      this.horizon = horizon;
      this.newer = newer;
    }

    boolean contains(Metadata file) {
      return file.lastModifiedMillis() <= horizon
          || newer.containsKey(file.resourceId().toString());
    }

    @Override
    public void finalizeCheckpoint() {}
  }

  /**
   * Splits read disjoint sets of files (by name), so files are read and parsed in parallel. Each
   * split lists the folder itself: a listing is cheap next to reading the files.
   */
  @Override
  public List<FolderWatchSource> split(int desiredNumSplits, PipelineOptions options) {
    int n = Math.max(1, desiredNumSplits);
    return IntStream.range(0, n)
        .mapToObj(i -> new FolderWatchSource(filepattern, pollMillis, settleMillis, i, n))
        .toList();
  }

  @Override
  public UnboundedReader<Metadata> createReader(PipelineOptions options, Mark mark) {
    return new Reader(this, mark == null ? new Mark(Long.MIN_VALUE, Map.of()) : mark);
  }

  @Override
  public Coder<Mark> getCheckpointMarkCoder() {
    return SerializableCoder.of(Mark.class);
  }

  @Override
  public Coder<Metadata> getOutputCoder() {
    return MetadataCoderV2.of();
  }

  private static final class Reader extends UnboundedReader<Metadata> {
    private final FolderWatchSource source;
    private long horizon;
    private final Map<String, Long> emitted;
    private final Deque<Metadata> pending = new ArrayDeque<>();
    private long lastPollMillis;
    private Metadata current;
    private Instant currentTimestamp;

    Reader(FolderWatchSource source, Mark mark) {
      this.source = source;
      this.horizon = mark.horizon;
      this.emitted = new HashMap<>(mark.newer);
    }

    @Override
    public boolean start() throws IOException {
      return advance();
    }

    @Override
    public boolean advance() throws IOException {
      long now = System.currentTimeMillis();
      if (pending.isEmpty() && now - lastPollMillis >= source.pollMillis) {
        lastPollMillis = now;
        poll();
      }
      current = pending.poll();
      if (current == null) {
        return false;
      }
      emitted.put(current.resourceId().toString(), current.lastModifiedMillis());
      currentTimestamp = Instant.now();
      return true;
    }

    private void poll() throws IOException {
      MatchResult result =
          FileSystems.match(source.filepattern, EmptyMatchTreatment.ALLOW_IF_WILDCARD);
      if (result.status() == MatchResult.Status.NOT_FOUND) {
        LOG.debug("Listing {}: nothing there yet", source.filepattern);
        return;
      }
      Mark seen = new Mark(horizon, emitted);
      List<Metadata> found = new ArrayList<>();
      int listed = 0;
      for (Metadata file : result.metadata()) {
        if (isInputFile(file) && source.owns(file)) {
          listed++;
          if (!seen.contains(file)) {
            found.add(file);
          }
        }
      }
      found.sort(
          Comparator.comparingLong(Metadata::lastModifiedMillis)
              .thenComparing(m -> m.resourceId().toString()));
      pending.addAll(found);
      if (found.isEmpty()) {
        LOG.debug("Listed {}: {} files, none new", source.filepattern, listed);
      } else {
        LOG.info("Listed {}: {} files, {} new", source.filepattern, listed, found.size());
      }
    }

    @Override
    public Metadata getCurrent() {
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

    /**
     * Moves the horizon up to {@code settleMillis} behind the newest emitted file, but never past a
     * file found and not yet emitted, and forgets the names it now covers.
     */
    @Override
    public Mark getCheckpointMark() {
      OptionalLong newest = emitted.values().stream().mapToLong(Long::longValue).max();
      long limit =
          pending.stream().mapToLong(Metadata::lastModifiedMillis).min().orElse(Long.MAX_VALUE);
      long candidate =
          newest.isPresent()
              ? Math.min(newest.getAsLong() - source.settleMillis, limit - 1)
              : Long.MIN_VALUE;
      if (candidate > horizon) {
        horizon = candidate;
        emitted.values().removeIf(modified -> modified <= horizon);
      }
      return new Mark(horizon, Map.copyOf(emitted));
    }

    @Override
    public UnboundedSource<Metadata, ?> getCurrentSource() {
      return source;
    }

    @Override
    public void close() {}
  }
}
