package io.shopstream.pipeline.watch;

import io.shopstream.pipeline.FileVersion;
import io.shopstream.pipeline.store.IngestFiles;
import io.shopstream.pipeline.store.JdbcConfig;
import io.shopstream.pipeline.store.Ledger;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.runners.spark.SparkPipelineOptions;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.joda.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An unbounded source of the file versions in a folder that the ledger ({@code ingested_files}) has
 * not committed. It exists because {@code FileIO.match().continuously()} is a splittable DoFn the
 * SparkRunner cannot translate, and because PostgreSQL, not the runner's checkpoint, decides what
 * has been ingested (SPEC.md section 6).
 *
 * <p>Its only state is the versions it emitted that are not committed yet (in flight), so that a
 * version is not emitted again while it is being ingested. That state is bounded by the files in
 * the folder, and losing it costs work, never data: a version emitted twice is ingested once, since
 * the ingest takes a lock on the version and commits its ledger row with its rows. So the
 * checkpoint mark's in-flight versions are trusted only by a reader in the JVM that wrote them (the
 * DirectRunner re-creates readers from marks as it goes); a restarted pipeline emits every
 * uncommitted version again, whatever checkpoint it resumed from. A version still uncommitted
 * {@code inFlightTimeout} after it was emitted is emitted again, in case a runner lost it.
 *
 * <p>On the SparkRunner nothing stays in flight past the micro-batch that emitted it, because Spark
 * loses reads: when an executor dies, its readers' earlier batches are recomputed from scratch on
 * another executor, and the versions they emit are dropped (only the reader's state is kept); held
 * in flight, those versions waited out the in-flight timeout. The price: Spark reads the next batch
 * as it schedules it, on a free core, while this batch's ingest may still run, so a version being
 * ingested can be emitted again; its second ingest finds it locked or committed, and skips it.
 *
 * <p>It lists the folder every poll interval, and at once when the operating system tells of a file
 * landing in a local folder (so a file is usually found within milliseconds, and an idle reader
 * costs nothing). Each element holds versions found together, stamped with the time they were
 * found, as runners cut reads short: the DirectRunner reads at most 10 elements per bundle (a
 * version per element made transactions of 10 small files), so there an element is one group of
 * versions as {@link IngestFiles} makes them into transactions; a Spark micro-batch reads one
 * element (the pipeline's {@code --maxRecordsPerBatch=1}: its read ends with the first listing that
 * finds something, and the batch goes on to ingest it), so there an element is everything a listing
 * found (when reads ended 200 ms in, a listing of 10,000 files took longer, and with a group per
 * element the batches went on emitting a group or two each). The watermark is the current time.
 */
public final class FolderWatchSource
    extends UnboundedSource<List<FileVersion>, FolderWatchSource.Mark> {

  private static final Logger LOG = LoggerFactory.getLogger(FolderWatchSource.class);

  /** This JVM: a mark written by another one (before a restart) is not trusted. */
  private static final String PROCESS = UUID.randomUUID().toString();

  /**
   * The longest an idle reader waits in {@code advance()} for a landing or its next listing, on the
   * DirectRunner, which calls an idle reader again at once (its workers spun at a core and more).
   */
  private static final long DIRECT_IDLE_WAIT_MILLIS = 500;

  /** The longest an idle reader waits in {@code advance()} within a Spark micro-batch's read. */
  private static final long SPARK_IDLE_WAIT_MILLIS = 250;

  /** The order in which files are ingested: the order in which they landed, as far as known. */
  public static final Comparator<FileVersion> OLDEST_FIRST =
      Comparator.comparingLong(FileVersion::modifiedMillis).thenComparing(FileVersion::path);

  /** Listings on landing notices are this far apart at least: a burst of files is listed once. */
  private static final long MIN_LISTING_GAP_MILLIS = 50;

  private final InputFolder folder;
  private final JdbcConfig database;
  private final long pollMillis;
  private final long inFlightTimeoutMillis;
  private final ProcessedFiles processed;
  private final int split;
  private final int splits;

  FolderWatchSource(
      InputFolder folder,
      JdbcConfig database,
      long pollMillis,
      long inFlightTimeoutMillis,
      ProcessedFiles processed) {
    this(folder, database, pollMillis, inFlightTimeoutMillis, processed, 0, 1);
  }

  private FolderWatchSource(
      InputFolder folder,
      JdbcConfig database,
      long pollMillis,
      long inFlightTimeoutMillis,
      ProcessedFiles processed,
      int split,
      int splits) {
    this.folder = folder;
    this.database = database;
    this.pollMillis = pollMillis;
    this.inFlightTimeoutMillis = inFlightTimeoutMillis;
    this.processed = processed;
    this.split = split;
    this.splits = splits;
  }

  /** The versions in flight, with when they were emitted, and the JVM that emitted them. */
  record Mark(String process, Map<FileVersion, Long> inFlight)
      implements UnboundedSource.CheckpointMark, Serializable {
    @Override
    public void finalizeCheckpoint() {}
  }

  /**
   * Every split lists the whole folder and emits every uncommitted version: the ingest of a version
   * takes its lock or leaves it to the split that holds it, so the splits share the versions out as
   * they go, one at a time, however unequal the files (spread by name, a split with the larger
   * files finished last while the other idled). A listing is cheap next to reading the files.
   *
   * <p>Split {@code k} of {@code n} starts its listing {@code k/n} of the way in (oldest first,
   * then round), so the splits work far apart: files landed together share event ids (a replayed
   * event is near its original), and an insert of an id another transaction is inserting waits for
   * that transaction, so splits working side by side took turns at PostgreSQL.
   */
  @Override
  public List<FolderWatchSource> split(int desiredNumSplits, PipelineOptions options) {
    int n = Math.max(1, desiredNumSplits);
    return IntStream.range(0, n)
        .mapToObj(
            i ->
                new FolderWatchSource(
                    folder, database, pollMillis, inFlightTimeoutMillis, processed, i, n))
        .toList();
  }

  @Override
  public UnboundedReader<List<FileVersion>> createReader(PipelineOptions options, Mark mark) {
    boolean trusted = mark != null && mark.process().equals(PROCESS); // a Spark mark is empty
    boolean direct = options.getRunner() == DirectRunner.class;
    return new Reader(
        this,
        trusted ? mark.inFlight() : Map.of(),
        direct
            ? DIRECT_IDLE_WAIT_MILLIS
            : sparkIdleWaitMillis(options.as(SparkPipelineOptions.class)),
        !direct);
  }

  /**
   * How long an idle reader waits for a landing in a Spark micro-batch's read, which calls it again
   * and again until the read time is up, sleeping longer and longer in between (up to half a
   * second, late in a read of 1.4 s): waiting here, it hands a landed file on at once. A quarter of
   * the time the read leaves of the batch at most, so that a read held up by the wait still ends
   * before the next batch is due.
   */
  static long sparkIdleWaitMillis(SparkPipelineOptions spark) {
    long batch = spark.getBatchIntervalMillis();
    // The read time as Beam's SourceDStream bounds it (its method is private).
    long read =
        Math.max(Math.round(batch * spark.getReadTimePercentage()), spark.getMinReadTimeMillis());
    return Math.max(0, Math.min(SPARK_IDLE_WAIT_MILLIS, (batch - read) / 4));
  }

  @Override
  public Coder<Mark> getCheckpointMarkCoder() {
    return SerializableCoder.of(Mark.class);
  }

  @Override
  public Coder<List<FileVersion>> getOutputCoder() {
    return FileVersion.LIST_CODER;
  }

  private static final class Reader extends UnboundedReader<List<FileVersion>> {
    private final FolderWatchSource source;
    private final Map<FileVersion, Long> inFlight;
    private final long idleWaitMillis;

    /**
     * Micro-batches (Spark): what was emitted before a checkpoint mark is no longer in flight, and
     * a listing is emitted whole.
     */
    private final boolean microBatches;

    /** Versions known to be committed, among those last listed: they need no query. */
    private final Set<FileVersion> committed = new HashSet<>();

    /**
     * What the last listing with versions to ingest found: a listing finding the same is not logged
     * (on Spark, one file being stored for minutes is found again every micro-batch).
     */
    private Set<FileVersion> lastFound = Set.of();

    private final Deque<List<FileVersion>> pending = new ArrayDeque<>();
    private Connection connection;
    private boolean ledgerDown;
    private InputFolder.Landings landings = InputFolder.Landings.NONE;
    private boolean landed;
    private boolean emitted;
    private long lastListingMillis;
    private List<FileVersion> current;
    private Instant currentTimestamp;

    Reader(
        FolderWatchSource source,
        Map<FileVersion, Long> inFlight,
        long idleWaitMillis,
        boolean microBatches) {
      this.source = source;
      this.idleWaitMillis = idleWaitMillis;
      this.microBatches = microBatches;
      this.inFlight = new HashMap<>(inFlight);
    }

    @Override
    public boolean start() throws IOException {
      landings = source.folder.landings();
      if (landings.unavailable != null) {
        LOG.info(
            "No landing notices for {} ({}); listing it every {} ms",
            source.folder,
            landings.unavailable,
            source.pollMillis);
      }
      return advance();
    }

    @Override
    public boolean advance() throws IOException {
      if (pending.isEmpty()) {
        long since = System.currentTimeMillis() - lastListingMillis;
        long wait =
            Math.min(
                landed ? MIN_LISTING_GAP_MILLIS - since : source.pollMillis - since,
                emitted ? 0 : idleWaitMillis); // one that just emitted returns, to hand it on
        try {
          if (!landed) {
            landed = landings.await(Math.max(0, wait));
          } else if (wait > 0) {
            Thread.sleep(wait);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("stopped while waiting to list the folder");
        }
        since = System.currentTimeMillis() - lastListingMillis;
        if (since >= source.pollMillis || (landed && since >= MIN_LISTING_GAP_MILLIS)) {
          landed = false;
          lastListingMillis = System.currentTimeMillis();
          poll(lastListingMillis);
        }
      }
      current = pending.poll();
      emitted = current != null;
      if (current == null) {
        return false;
      }
      long now = System.currentTimeMillis();
      current.forEach(version -> inFlight.put(version, now));
      currentTimestamp = new Instant(now);
      return true;
    }

    private void poll(long now) throws IOException {
      List<FileVersion> listed = source.folder.list();
      Set<FileVersion> present = new HashSet<>(listed);
      committed.retainAll(present);
      inFlight.keySet().retainAll(present); // replaced or gone: its newer version is listed
      List<FileVersion> unknown = listed.stream().filter(f -> !committed.contains(f)).toList();
      if (unknown.isEmpty()) {
        return;
      }
      Set<FileVersion> done;
      try {
        if (connection == null) { // a failed query closes it: see below
          connection = source.database.connect();
        }
        done = Ledger.committed(connection, unknown);
      } catch (SQLException e) {
        if (!ledgerDown) { // once per outage, not once per poll
          LOG.warn(
              "Cannot read the file ledger ({}); listing {} again every {} ms until it answers",
              e.getMessage(),
              source.folder,
              source.pollMillis);
        }
        ledgerDown = true;
        closeConnection();
        return;
      }
      if (ledgerDown) {
        LOG.info("The file ledger answers again");
        ledgerDown = false;
      }
      committed.addAll(done);
      done.forEach(source.processed::apply); // committed, still here: cut off before its move
      inFlight.keySet().removeAll(done);
      inFlight.values().removeIf(emitted -> now - emitted >= source.inFlightTimeoutMillis);
      List<FileVersion> found =
          new ArrayList<>(
              unknown.stream()
                  .filter(f -> !done.contains(f) && !inFlight.containsKey(f))
                  .sorted(OLDEST_FIRST)
                  .toList());
      Collections.rotate(found, -(int) ((long) found.size() * source.split / source.splits));
      if (found.isEmpty()) {
        return;
      }
      pending.addAll(
          microBatches ? List.of(found) : IngestFiles.IngestFn.groups(found, FileVersion::size));
      if (!lastFound.containsAll(found)) {
        LOG.info(
            "Listed {}: {} files, {} to ingest, {} in flight",
            source.folder,
            listed.size(),
            found.size(),
            inFlight.size());
      }
      lastFound = new HashSet<>(found);
    }

    private void closeConnection() {
      if (connection != null) {
        try {
          connection.close();
        } catch (SQLException e) {
          LOG.debug("Closing the ledger connection: {}", e.getMessage());
        }
        connection = null;
      }
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

    @Override
    public Mark getCheckpointMark() {
      if (microBatches) { // Spark takes the mark at the end of each micro-batch's read
        inFlight.clear();
      }
      return new Mark(PROCESS, new HashMap<>(inFlight));
    }

    @Override
    public UnboundedSource<List<FileVersion>, ?> getCurrentSource() {
      return source;
    }

    @Override
    public void close() throws IOException {
      closeConnection();
      landings.close();
    }
  }
}
