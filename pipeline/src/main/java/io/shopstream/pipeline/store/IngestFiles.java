package io.shopstream.pipeline.store;

import io.shopstream.pipeline.FileVersion;
import io.shopstream.pipeline.ops.Metrics;
import io.shopstream.pipeline.parse.ErrorRecord;
import io.shopstream.pipeline.parse.ErrorRecord.Reason;
import io.shopstream.pipeline.parse.LineParser;
import io.shopstream.pipeline.parse.LineParser.Invalid;
import io.shopstream.pipeline.parse.LineParser.Parsed;
import io.shopstream.pipeline.parse.LineParser.Valid;
import io.shopstream.pipeline.watch.FolderWatchSource;
import io.shopstream.pipeline.watch.InputFolder;
import io.shopstream.pipeline.watch.ProcessedFiles;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.ToLongFunction;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import javax.sql.DataSource;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Gauge;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.util.BackOff;
import org.apache.beam.sdk.util.FluentBackoff;
import org.apache.beam.sdk.util.Sleeper;
import org.apache.beam.sdk.values.PCollection;
import org.apache.commons.io.input.BoundedInputStream;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ingests each file version in one PostgreSQL transaction (SPEC.md sections 3-7): every line is
 * validated as it is read; valid events stream into a staging table with {@code COPY}; the earliest
 * line of each {@code event_id} goes on into {@code user_events} with {@code ON CONFLICT DO
 * NOTHING}, and the rows that were new into the one-minute event-time windows of {@code
 * event_stats_minute}; rejected lines go to the version's error file; and the version's ledger row
 * with its counts commits with all of it. So a version is ingested whole or not at all, and one
 * that was (a version emitted again after a restart) is skipped under its ledger lock, as is one
 * another reader is ingesting (every reader is handed every version: they share them this way).
 *
 * <p>Transient database failures (lost connection, shutdown, serialization failure, deadlock) are
 * retried with backoff, forever, each time reading the file again: nothing is dropped. A row the
 * database refuses for a data reason (SQLSTATE class 22 or 23) is found by inserting in halves and
 * becomes a {@code DB_REJECTED} record. The input is lists of versions found together, as the
 * watcher hands them out; the output is the versions committed.
 */
public final class IngestFiles
    extends PTransform<PCollection<List<FileVersion>>, PCollection<FileVersion>> {

  private static final Logger LOG = LoggerFactory.getLogger(IngestFiles.class);

  /**
   * The staged window counts into {@code event_stats_minute}, the transaction's last statement:
   * concurrent transactions update the same few window rows, each waiting for the other's commit,
   * so these row locks are held for as short as can be (taken with the rows, they made the ingest
   * of small files take turns, one transaction at a time).
   */
  static final String WINDOWS =
      "INSERT INTO event_stats_minute AS w (minute, category, event_type, events, revenue)"
          + " SELECT minute, category, event_type, sum(events), sum(revenue) FROM ingest_windows"
          + " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON CONFLICT (minute, category, event_type) DO UPDATE"
          + " SET events = w.events + excluded.events, revenue = w.revenue + excluded.revenue";

  /** Who read a version, for the ledger: {@code pid@host} of the worker JVM. */
  private static final String READ_BY = ManagementFactory.getRuntimeMXBean().getName();

  private final JdbcConfig database;
  private final String errorDir;
  private final ProcessedFiles processed;

  public IngestFiles(JdbcConfig database, String errorDir) {
    this(database, errorDir, ProcessedFiles.KEEP);
  }

  public IngestFiles(JdbcConfig database, String errorDir, ProcessedFiles processed) {
    this.database = database;
    this.errorDir = errorDir;
    this.processed = processed;
  }

  @Override
  public PCollection<FileVersion> expand(PCollection<List<FileVersion>> versions) {
    return versions.apply(
        "IngestEachVersion", ParDo.of(new IngestFn(database, errorDir, processed)));
  }

  /** True for SQLSTATE classes that mean "this row's data", not "the database is unwell". */
  static boolean isRowRejection(SQLException e) {
    String state = e.getSQLState();
    return state != null && (state.startsWith("22") || state.startsWith("23"));
  }

  /** Transient failures are retried; anything else that is not a row rejection is too, loudly. */
  static boolean isTransient(SQLException e) {
    String state = e.getSQLState();
    return e instanceof SQLTransientException
        || e instanceof SQLRecoverableException
        || state == null
        || state.startsWith("08") // connection exception
        || state.startsWith("53") // insufficient resources
        || state.startsWith("57") // operator intervention: shutdown, cannot connect now, cancel
        || state.startsWith("58") // system error (I/O)
        || state.equals("40001") // serialization failure
        || state.equals("40P01") // deadlock
        || state.equals("55P03"); // lock not available
  }

  /** A gzip file's data is corrupt: what follows becomes one error record. */
  static final class CorruptArchive extends Exception {
    CorruptArchive(IOException cause) {
      super(cause.toString(), cause);
    }
  }

  /** The input file could not be read: the version stays uncommitted and is read again later. */
  static final class UnreadableFile extends Exception {
    UnreadableFile(IOException cause) {
      super(cause.toString(), cause);
    }
  }

  public static final class IngestFn extends DoFn<List<FileVersion>, FileVersion> {
    /**
     * Versions are ingested together, in one transaction, up to this many bytes (a larger version
     * alone): a transaction of its own cost a small file more than reading it (10,000 files of 100
     * lines went at 6% of the throughput of 20 files of 50,000).
     */
    public static final long GROUP_BYTES = 1 << 20;

    /**
     * A version alone in its transaction is stored a chunk of this many staged bytes (about 35,000
     * rows) at a time, as it is read, so that no sort or staging table grows with the file (see
     * {@link Staging}). 1 and 16 MiB were no faster for a file of 1M lines.
     */
    static final long CHUNK_BYTES = 4 << 20;

    private final JdbcConfig database;
    private final String errorDir;
    private final ProcessedFiles processed;
    private final long chunkBytes;
    private final Counter files = Metrics.counter(Metrics.FILES);
    private final Counter lines = Metrics.counter(Metrics.LINES);
    private final Counter skipped = Metrics.counter(Metrics.SKIPPED);
    private final Counter stored = Metrics.counter(Metrics.STORED);
    private final Counter duplicates = Metrics.counter(Metrics.DUPLICATES);
    private final Metrics.ErrorCounter errors = new Metrics.ErrorCounter();
    private final Gauge lag = Metrics.gauge(Metrics.LAG_MILLIS);
    private final Counter bytesRead = Metrics.counter(Metrics.BYTES_READ);
    private final Counter retries = Metrics.counter(Metrics.DATABASE_RETRIES);
    private final Metrics.Latency writeLatency = new Metrics.Latency(Metrics.WRITE_MILLIS);
    private final Metrics.Latency commitLatency = new Metrics.Latency(Metrics.COMMIT_MILLIS);

    private transient DataSource dataSource;
    private transient List<Found> bundle;

    IngestFn(JdbcConfig database, String errorDir, ProcessedFiles processed) {
      this(database, errorDir, processed, CHUNK_BYTES);
    }

    IngestFn(JdbcConfig database, String errorDir, ProcessedFiles processed, long chunkBytes) {
      this.database = database;
      this.errorDir = errorDir;
      this.processed = processed;
      this.chunkBytes = chunkBytes;
    }

    /** A version to ingest, with when it was found. */
    private record Found(FileVersion version, Instant at) {}

    @Setup
    public void setup() {
      dataSource = database.pooledDataSource();
    }

    @StartBundle
    public void startBundle() {
      bundle = new ArrayList<>();
    }

    /** Versions found together, as the watcher hands them out. */
    @ProcessElement
    public void processElement(@Element List<FileVersion> versions, @Timestamp Instant found) {
      versions.forEach(version -> bundle.add(new Found(version, found)));
    }

    /** Ingests the bundle's versions in groups, in the order the watcher handed them out. */
    @FinishBundle
    public void finishBundle(FinishBundleContext context) throws IOException, InterruptedException {
      for (List<Found> group : groups(bundle, found -> found.version().size())) {
        ingestWithRetries(group, context);
      }
      bundle = null;
    }

    /** Consecutive runs of items of up to {@link #GROUP_BYTES} together (a larger one alone). */
    public static <T> List<List<T>> groups(List<T> items, ToLongFunction<T> bytes) {
      List<List<T>> groups = new ArrayList<>();
      List<T> group = null;
      long size = 0;
      for (T item : items) {
        long itemBytes = bytes.applyAsLong(item);
        if (group == null || size + itemBytes > GROUP_BYTES) {
          group = new ArrayList<>();
          groups.add(group);
          size = 0;
        }
        group.add(item);
        size += itemBytes;
      }
      return groups;
    }

    /**
     * Ingests the group, retrying on any failure. A version whose lock an attempt of this reader
     * held when it failed is waited for until it commits: the failed attempt's session may hold its
     * lock on the server until the server's own timeout ends it, and a version left to a lock
     * holder that is gone would wait for the watcher to hand it out again.
     */
    private void ingestWithRetries(List<Found> group, FinishBundleContext context)
        throws IOException, InterruptedException {
      BackOff backoff =
          FluentBackoff.DEFAULT
              .withInitialBackoff(Duration.millis(100))
              .withMaxBackoff(Duration.standardSeconds(10))
              .withMaxRetries(Integer.MAX_VALUE)
              .backoff();
      Set<FileVersion> held = new HashSet<>();
      List<Found> todo = group;
      for (int attempt = 1; ; attempt++) {
        try {
          Attempt done = ingest(todo, held);
          for (Ledger.Entry committed : done.committed()) {
            processed.apply(committed.version());
            count(committed);
            context.output(committed.version(), committed.found(), GlobalWindow.INSTANCE);
          }
          todo =
              todo.stream()
                  .filter(f -> held.contains(f.version()))
                  .filter(f -> done.lockedElsewhere().contains(f.version()))
                  .toList();
          if (todo.isEmpty()) {
            return;
          }
          LOG.info(
              "{}{} still locked by a session of a failed attempt; waiting for it to end",
              todo.get(0).version(),
              todo.size() > 1 ? " and " + (todo.size() - 1) + " more" : "");
          Sleeper.DEFAULT.sleep(backoff.nextBackOffMillis());
        } catch (SQLException | IOException e) {
          long sleep = backoff.nextBackOffMillis();
          String kind =
              e instanceof SQLException sql && isTransient(sql) ? "Transient" : "Unexpected";
          LOG.warn(
              "{} failure ingesting {}{} (attempt {}, {}); retrying in {} ms",
              kind,
              todo.get(0).version(),
              todo.size() > 1 ? " and " + (todo.size() - 1) + " more" : "",
              attempt,
              e instanceof SQLException sql
                  ? "SQLSTATE " + sql.getSQLState() + ": " + e.getMessage()
                  : e.toString(),
              sleep);
          retries.inc();
          Sleeper.DEFAULT.sleep(sleep);
        }
      }
    }

    private void count(Ledger.Entry committed) {
      Ledger.Counts counts = committed.counts();
      files.inc();
      bytesRead.inc(committed.version().size());
      lines.inc(counts.lines());
      skipped.inc(counts.skipped());
      stored.inc(counts.stored());
      duplicates.inc(counts.duplicates());
      counts.errorsByReason().forEach(errors::inc);
      lag.set(System.currentTimeMillis() - committed.found().getMillis());
    }

    /**
     * What one attempt at a group did: the ledger rows it committed, and the versions it found
     * locked by another session and not committed.
     */
    private record Attempt(List<Ledger.Entry> committed, Set<FileVersion> lockedElsewhere) {}

    /**
     * One attempt at a group. A version is left out when it was committed before, is being ingested
     * by another session, changed while it was read (its new version is next) or could not be read
     * (it is read again later). The versions it locks are added to {@code held}.
     */
    private Attempt ingest(List<Found> group, Set<FileVersion> held)
        throws SQLException, IOException {
      group = new ArrayList<>(group);
      // Oldest first within the group: of an id in two of its files, the older file's row is
      // stored.
      group.sort(Comparator.comparing(Found::version, FolderWatchSource.OLDEST_FIRST));
      try (Connection connection = dataSource.getConnection()) {
        connection.setAutoCommit(false);
        long started = System.nanoTime();
        Map<FileVersion, ErrorFile> errorFiles = new LinkedHashMap<>();
        try {
          List<FileVersion> versions = group.stream().map(Found::version).toList();
          Set<FileVersion> claimed = new HashSet<>(Ledger.claim(connection, versions));
          held.addAll(claimed);
          Set<FileVersion> lockedElsewhere = new HashSet<>(versions);
          lockedElsewhere.removeAll(claimed);
          lockedElsewhere.removeAll(Ledger.committed(connection, lockedElsewhere));
          claimed.removeAll(Ledger.committed(connection, claimed));
          if (claimed.size() < versions.size()) {
            LOG.debug(
                "{} of {} versions committed already or being ingested by another reader",
                versions.size() - claimed.size(),
                versions.size());
          }
          List<Ledger.Entry> entries = new ArrayList<>();
          for (Found found : group) {
            if (claimed.contains(found.version())) {
              errorFiles.put(found.version(), new ErrorFile(errorDir, found.version()));
            }
          }
          Map<FileVersion, FileLines> read = store(connection, errorFiles);
          for (Found found : group) {
            FileLines file = read.remove(found.version()); // a version handed twice: once
            if (file != null) {
              String errorFile = errorFiles.get(found.version()).publish();
              entries.add(new Ledger.Entry(found.version(), found.at(), file.counts(), errorFile));
            }
          }
          if (entries.isEmpty()) {
            connection.rollback();
            return new Attempt(entries, lockedElsewhere);
          }
          Ledger.record(connection, entries, READ_BY);
          try (Statement windows = connection.createStatement()) {
            windows.executeUpdate(WINDOWS);
          }
          long written = System.nanoTime();
          connection.commit();
          writeLatency.observe((written - started) / 1_000_000);
          commitLatency.observe((System.nanoTime() - written) / 1_000_000);
          return new Attempt(entries, lockedElsewhere);
        } catch (SQLException e) {
          // Closed for good, so the pool drops it: pgjdbc does not mark a connection broken by an
          // I/O error in COPY, and the pool would hand that dead connection to every retry.
          connection.abort(Runnable::run);
          throw e;
        } catch (IOException | RuntimeException e) {
          connection.rollback();
          throw e;
        } finally {
          for (ErrorFile errorFile : errorFiles.values()) {
            errorFile.close();
          }
        }
      }
    }

    /**
     * Reads and validates the versions' lines in order, their valid events to {@code rows}: the
     * versions read whole and unchanged into {@code read}, the staged rows of the others into
     * {@code left}.
     */
    private static void readAll(
        Map<FileVersion, ErrorFile> errorFiles,
        ReadAhead.Rows rows,
        Map<FileVersion, FileLines> read,
        List<long[]> left)
        throws IOException {
      long staged = 0;
      int number = 0;
      for (Map.Entry<FileVersion, ErrorFile> each : errorFiles.entrySet()) {
        FileVersion version = each.getKey();
        FileLines file = new FileLines(version, ++number, rows, each.getValue(), staged);
        try {
          if (file.readAll()) {
            read.put(version, file);
          } else {
            LOG.info("{} changed while it was read; its new version is read next", version);
            left.add(new long[] {file.firstSeq, file.seq});
          }
        } catch (UnreadableFile e) {
          LOG.warn(
              "Cannot read {} ({}); it stays uncommitted and is read again later",
              version,
              e.getMessage());
          left.add(new long[] {file.firstSeq, file.seq});
        }
        staged = file.seq;
      }
    }

    /**
     * Reads, validates and stages the versions' lines, then stores them: the versions read whole
     * and unchanged, with their counts.
     */
    private Map<FileVersion, FileLines> store(
        Connection connection, Map<FileVersion, ErrorFile> errorFiles)
        throws SQLException, IOException {
      Map<FileVersion, FileLines> read = new LinkedHashMap<>();
      List<long[]> left = new ArrayList<>();
      List<String> paths = errorFiles.keySet().stream().map(FileVersion::path).toList();
      // A version is stored a chunk at a time only alone in its transaction (see Staging).
      long chunk = errorFiles.size() == 1 ? chunkBytes : Long.MAX_VALUE;
      Map<String, Long> storedByPath;
      List<ErrorRecord> refused;
      try (Staging staging = new Staging(connection, paths, chunk);
          ReadAhead reading = new ReadAhead(rows -> readAll(errorFiles, rows, read, left))) {
        for (byte[] rows = reading.next(); rows != null; rows = reading.next()) {
          staging.add(rows);
        }
        if (read.isEmpty()) {
          return read; // nothing to store: the transaction is rolled back
        }
        storedByPath = staging.finish(left);
        refused = staging.refused();
      }
      for (FileLines file : read.values()) {
        file.stored = storedByPath.getOrDefault(file.version.path(), 0L);
      }
      for (ErrorRecord record : refused) {
        FileLines file =
            read.values().stream()
                .filter(f -> f.version.path().equals(record.source()))
                .findFirst()
                .orElseThrow();
        file.rejected(record);
      }
      return read;
    }
  }

  /**
   * The lines of one version, read up to its size: valid events go to the staging in blocks (by way
   * of the {@link ReadAhead}), rejected lines to the error file, and every line is counted.
   */
  private static final class FileLines {
    private static final int BLOCK = 1 << 16;

    /**
     * A line is read up to this many bytes; the rest of a longer one is skipped and the line
     * becomes one error record, so no line, gzip bomb or file of one huge line can take the heap.
     */
    static final int MAX_LINE_BYTES = 1 << 20;

    /** The line being read is longer than {@link #MAX_LINE_BYTES}. */
    private boolean cut;

    private final FileVersion version;
    private final int file;
    private final ReadAhead.Rows staged;
    private final ErrorFile errorFile;
    private final ByteArrayOutputStream rows = new ByteArrayOutputStream(BLOCK + 4096);
    private final Map<Reason, Long> errorsByReason = new EnumMap<>(Reason.class);
    private LineParser.Header header;
    private long lineNumber;
    private long valid;
    private long skipped;
    private long rejected;
    long stored;

    /** The staged rows of this version are numbered {@code firstSeq + 1 .. seq}. */
    final long firstSeq;

    long seq;

    FileLines(
        FileVersion version, int file, ReadAhead.Rows staged, ErrorFile errorFile, long firstSeq) {
      this.version = version;
      this.file = file;
      this.staged = staged;
      this.errorFile = errorFile;
      this.firstSeq = firstSeq;
      this.seq = firstSeq;
    }

    /** A staged row the database refused. */
    void rejected(ErrorRecord record) throws IOException {
      reject(record);
      rejected++;
    }

    Ledger.Counts counts() {
      return new Ledger.Counts(
          lineNumber, stored, valid - stored - rejected, skipped, errorsByReason);
    }

    /**
     * False when the file held fewer bytes than its version's size or is not that version any more
     * (it was replaced).
     */
    boolean readAll() throws IOException, UnreadableFile {
      byte[] line = new byte[1024];
      int length = 0;
      byte[] buffer = new byte[1 << 16];
      InputStream file;
      try {
        file = InputFolder.open(version);
      } catch (NoSuchFileException e) {
        return false;
      } catch (IOException e) {
        throw new UnreadableFile(e);
      }
      long total;
      try (BoundedInputStream bounded =
          BoundedInputStream.builder().setInputStream(file).setMaxCount(version.size()).get()) {
        try {
          InputStream in = decoded(bounded);
          for (int read = read(in, buffer); read >= 0; read = read(in, buffer)) {
            for (int i = 0; i < read; i++) {
              byte b = buffer[i];
              if (b == '\n') {
                add(line, length);
                length = 0;
                cut = false;
              } else if (length < MAX_LINE_BYTES) {
                if (length == line.length) {
                  line = Arrays.copyOf(line, length * 2);
                }
                line[length++] = b;
              } else {
                cut = true;
              }
            }
          }
        } catch (CorruptArchive e) {
          corrupt(line, length, e.getCause());
          length = 0;
        }
        drain(bounded); // the compressed bytes after a corrupt part, to compare with the size
        total = bounded.getCount();
      }
      if (length > 0) { // a last line without a line end
        add(line, length);
      }
      if (rows.size() > 0) {
        staged.add(rows.toByteArray());
      }
      return total == version.size()
          && InputFolder.current(version.path()).equals(Optional.of(version));
    }

    /** The file's text: gunzipped for {@code .gz}. */
    private InputStream decoded(InputStream bytes) throws CorruptArchive, UnreadableFile {
      if (!version.path().endsWith(".gz")) {
        return bytes;
      }
      try {
        return new GZIPInputStream(bytes, 1 << 16);
      } catch (IOException e) {
        throw failure(e);
      }
    }

    private int read(InputStream in, byte[] buffer) throws CorruptArchive, UnreadableFile {
      try {
        return in.read(buffer);
      } catch (IOException e) {
        throw failure(e);
      }
    }

    private static void drain(InputStream in) throws UnreadableFile {
      try {
        in.transferTo(OutputStream.nullOutputStream());
      } catch (IOException e) {
        throw new UnreadableFile(e);
      }
    }

    /**
     * Throws what a read failure means: bad gzip data (or a gzip file cut short) is the file's, any
     * other failure is reading's. Declared to return, so that callers can {@code throw} it.
     */
    private RuntimeException failure(IOException e) throws CorruptArchive, UnreadableFile {
      if (version.path().endsWith(".gz")
          && (e instanceof ZipException || e instanceof EOFException)) {
        throw new CorruptArchive(e);
      }
      throw new UnreadableFile(e);
    }

    /** What was left of a line when the archive turned unreadable, and the rest: one record. */
    private void corrupt(byte[] line, int length, Throwable why) throws IOException {
      lineNumber++;
      reject(
          ErrorRecord.of(
              version.path(),
              lineNumber,
              Reason.BAD_ENCODING,
              "gzip data corrupt after line "
                  + (lineNumber - 1)
                  + " ("
                  + why.getMessage()
                  + "): the rest of the file cannot be read",
              text(line, length)));
    }

    private static String text(byte[] line, int length) {
      return new String(
          line, 0, Math.min(length, 4 * ErrorRecord.MAX_RAW_CHARS), StandardCharsets.UTF_8);
    }

    private void reject(ErrorRecord record) throws IOException {
      errorsByReason.merge(record.reason(), 1L, Long::sum);
      errorFile.add(record);
    }

    private void add(byte[] line, int length) throws IOException {
      if (cut) {
        reject(
            ErrorRecord.of(
                version.path(),
                ++lineNumber,
                Reason.FIELD_TOO_LONG,
                "line longer than " + MAX_LINE_BYTES + " bytes (1 MiB); not read further",
                text(line, length)));
        return;
      }
      if (++lineNumber == 1) {
        header = LineParser.header(line, length);
      }
      Parsed parsed = LineParser.parse(version.path(), lineNumber, line, length, header);
      if (parsed instanceof Valid v) {
        valid++;
        rows.writeBytes((++seq + ",").getBytes(StandardCharsets.US_ASCII));
        rows.writeBytes(v.event().copyRow(file));
        if (rows.size() >= BLOCK) {
          staged.add(rows.toByteArray());
          rows.reset();
        }
      } else if (parsed instanceof Invalid invalid) {
        reject(invalid.error());
      } else {
        skipped++;
      }
    }
  }
}
