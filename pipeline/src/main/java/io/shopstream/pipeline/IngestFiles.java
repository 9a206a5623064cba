package io.shopstream.pipeline;

import io.shopstream.pipeline.ErrorRecord.Reason;
import io.shopstream.pipeline.LineParser.Invalid;
import io.shopstream.pipeline.LineParser.Parsed;
import io.shopstream.pipeline.LineParser.Valid;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.NoSuchFileException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Gauge;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.BackOff;
import org.apache.beam.sdk.util.FluentBackoff;
import org.apache.beam.sdk.util.Sleeper;
import org.apache.beam.sdk.values.PCollection;
import org.apache.commons.io.input.BoundedInputStream;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
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
 * becomes a {@code DB_REJECTED} record. The output is the versions committed.
 */
public final class IngestFiles
    extends PTransform<PCollection<FileVersion>, PCollection<FileVersion>> {

  private static final Logger LOG = LoggerFactory.getLogger(IngestFiles.class);

  /** A per-connection staging table: rows go in with COPY, the fastest way into PostgreSQL. */
  static final String STAGING =
      "CREATE TEMP TABLE IF NOT EXISTS ingest_batch (event_id text, user_id text,"
          + " product_id text, product_name text, category text, price text, event_type text,"
          + " event_time text, source_file text, source_line bigint) ON COMMIT DELETE ROWS";

  static final String COPY = "COPY ingest_batch FROM STDIN WITH (FORMAT csv)";

  static final String COLUMNS =
      "event_id, user_id, product_id, product_name, category, price, event_type, event_time,"
          + " source_file, source_line";

  /**
   * The earliest line of each id in the lines given, into {@code user_events} unless stored
   * already; the rows stored added to their minute's window. Ids go in sorted, so two versions
   * sharing ids lock them in the same order and cannot deadlock.
   */
  static final String INSERT =
      "WITH stored AS (INSERT INTO user_events ("
          + COLUMNS
          + ") SELECT DISTINCT ON (event_id) event_id, user_id, product_id, product_name, category,"
          + " price::numeric, event_type, event_time::timestamptz, source_file, source_line"
          + " FROM ingest_batch WHERE source_line BETWEEN ? AND ?"
          + " ORDER BY event_id, source_line ON CONFLICT (event_id) DO NOTHING"
          + " RETURNING event_time, category, event_type, price),"
          + " windows AS (INSERT INTO event_stats_minute AS w (minute, category, event_type,"
          + " events, revenue) SELECT date_bin('1 minute', event_time, timestamptz 'epoch'),"
          + " category, event_type, count(*), sum(price) FROM stored GROUP BY 1, 2, 3"
          + " ORDER BY 1, 2, 3 ON CONFLICT (minute, category, event_type) DO UPDATE"
          + " SET events = w.events + excluded.events, revenue = w.revenue + excluded.revenue)"
          + " SELECT count(*) FROM stored";

  /** Who read a version, for the ledger: {@code pid@host} of the worker JVM. */
  private static final String READ_BY = ManagementFactory.getRuntimeMXBean().getName();

  private final JdbcConfig database;
  private final String errorDir;

  public IngestFiles(JdbcConfig database, String errorDir) {
    this.database = database;
    this.errorDir = errorDir;
  }

  @Override
  public PCollection<FileVersion> expand(PCollection<FileVersion> versions) {
    return versions.apply("IngestEachVersion", ParDo.of(new IngestFn(database, errorDir)));
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

  /** The input file could not be read: the version stays uncommitted and is read again later. */
  static final class UnreadableFile extends Exception {
    UnreadableFile(IOException cause) {
      super(cause.toString(), cause);
    }
  }

  static final class IngestFn extends DoFn<FileVersion, FileVersion> {
    private final JdbcConfig database;
    private final String errorDir;
    private final Counter files = Metrics.counter(Metrics.FILES);
    private final Counter lines = Metrics.counter(Metrics.LINES);
    private final Counter skipped = Metrics.counter(Metrics.SKIPPED);
    private final Counter stored = Metrics.counter(Metrics.STORED);
    private final Counter duplicates = Metrics.counter(Metrics.DUPLICATES);
    private final Metrics.ErrorCounter errors = new Metrics.ErrorCounter();
    private final Gauge lag = Metrics.gauge(Metrics.LAG_MILLIS);

    private transient DataSource dataSource;

    IngestFn(JdbcConfig database, String errorDir) {
      this.database = database;
      this.errorDir = errorDir;
    }

    @Setup
    public void setup() {
      dataSource = database.pooledDataSource();
    }

    @ProcessElement
    public void processElement(
        @Element FileVersion version, @Timestamp Instant found, OutputReceiver<FileVersion> out)
        throws IOException, InterruptedException {
      BackOff backoff =
          FluentBackoff.DEFAULT
              .withInitialBackoff(Duration.millis(100))
              .withMaxBackoff(Duration.standardSeconds(10))
              .withMaxRetries(Integer.MAX_VALUE)
              .backoff();
      for (int attempt = 1; ; attempt++) {
        try {
          Optional<Ledger.Counts> counts = ingest(version, found);
          if (counts.isPresent()) {
            count(counts.get(), found);
            out.output(version);
          }
          return;
        } catch (UnreadableFile e) {
          LOG.warn(
              "Cannot read {} ({}); it stays uncommitted and is read again later",
              version,
              e.getMessage());
          return;
        } catch (SQLException | IOException e) {
          long sleep = backoff.nextBackOffMillis();
          String kind =
              e instanceof SQLException sql && isTransient(sql) ? "Transient" : "Unexpected";
          LOG.warn(
              "{} failure ingesting {} (attempt {}, {}); retrying in {} ms",
              kind,
              version,
              attempt,
              e instanceof SQLException sql
                  ? "SQLSTATE " + sql.getSQLState() + ": " + e.getMessage()
                  : e.toString(),
              sleep);
          Sleeper.DEFAULT.sleep(sleep);
        }
      }
    }

    private void count(Ledger.Counts counts, Instant found) {
      files.inc();
      lines.inc(counts.lines());
      skipped.inc(counts.skipped());
      stored.inc(counts.stored());
      duplicates.inc(counts.duplicates());
      counts.errorsByReason().forEach(errors::inc);
      lag.set(System.currentTimeMillis() - found.getMillis());
    }

    /**
     * One attempt: the version's counts once committed, empty when it was committed before, is
     * being ingested by another reader, or changed while it was read (its new version is next).
     */
    private Optional<Ledger.Counts> ingest(FileVersion version, Instant found)
        throws SQLException, IOException, UnreadableFile {
      try (Connection connection = dataSource.getConnection()) {
        connection.setAutoCommit(false);
        try (ErrorFile errorFile = new ErrorFile(errorDir, version)) {
          if (!Ledger.tryLock(connection, version)) {
            LOG.debug("{} is being ingested by another reader", version);
            connection.rollback();
            return Optional.empty();
          }
          if (Ledger.committed(connection, List.of(version)).contains(version)) {
            LOG.debug("{} was committed already", version);
            connection.rollback();
            return Optional.empty();
          }
          Optional<Ledger.Counts> counts = store(connection, version, errorFile);
          if (counts.isEmpty()) {
            LOG.info("{} changed while it was read; its new version is read next", version);
            connection.rollback();
            return counts;
          }
          Ledger.record(connection, version, found, counts.get(), errorFile.publish(), READ_BY);
          connection.commit();
          return counts;
        } catch (SQLException e) {
          // Closed for good, so the pool drops it: pgjdbc does not mark a connection broken by an
          // I/O error in COPY, and the pool would hand that dead connection to every retry.
          connection.abort(Runnable::run);
          throw e;
        } catch (IOException | UnreadableFile | RuntimeException e) {
          connection.rollback();
          throw e;
        }
      }
    }

    /** Reads, validates and stores the version's lines; empty if the file changed meanwhile. */
    private Optional<Ledger.Counts> store(
        Connection connection, FileVersion version, ErrorFile errorFile)
        throws SQLException, IOException, UnreadableFile {
      try (Statement statement = connection.createStatement()) {
        statement.execute(STAGING);
      }
      CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI().copyIn(COPY);
      FileLines file = new FileLines(version, copy, errorFile);
      try {
        if (!file.readAll() || !InputFolder.current(version.path()).equals(Optional.of(version))) {
          return Optional.empty();
        }
        copy.endCopy();
      } finally {
        if (copy.isActive()) {
          copy.cancelCopy();
        }
      }
      List<ErrorRecord> rejected = new ArrayList<>();
      long storedRows = insert(connection, rejected);
      for (ErrorRecord record : rejected) {
        errorFile.add(record);
        file.errorsByReason.merge(Reason.DB_REJECTED, 1L, Long::sum);
      }
      return Optional.of(
          new Ledger.Counts(
              file.lineNumber,
              storedRows,
              file.valid - storedRows - rejected.size(),
              file.skipped,
              file.errorsByReason));
    }

    /** Inserts the staged rows; rows the database refuses are added to {@code rejected}. */
    private static long insert(Connection connection, List<ErrorRecord> rejected)
        throws SQLException {
      Attempt all = attempt(connection, 0, Long.MAX_VALUE);
      if (all.refusal() == null) {
        return all.stored();
      }
      LOG.warn(
          "A row was refused ({}: {}); inserting in halves to find it",
          all.refusal().getSQLState(),
          all.refusal().getMessage());
      // Within a version the earliest line of an id wins even if the database refuses it.
      try (Statement statement = connection.createStatement()) {
        statement.execute(
            "DELETE FROM ingest_batch a USING ingest_batch b"
                + " WHERE a.event_id = b.event_id AND a.source_line > b.source_line");
      }
      List<Long> staged = new ArrayList<>();
      try (Statement statement = connection.createStatement();
          ResultSet rows =
              statement.executeQuery("SELECT source_line FROM ingest_batch ORDER BY 1")) {
        while (rows.next()) {
          staged.add(rows.getLong(1));
        }
      }
      return insertInHalves(connection, staged, rejected);
    }

    private static long insertInHalves(
        Connection connection, List<Long> staged, List<ErrorRecord> rejected) throws SQLException {
      if (staged.isEmpty()) {
        return 0;
      }
      Attempt attempt = attempt(connection, staged.get(0), staged.get(staged.size() - 1));
      if (attempt.refusal() == null) {
        return attempt.stored();
      }
      if (staged.size() == 1) {
        rejected.add(refused(connection, staged.get(0), attempt.refusal()));
        return 0;
      }
      int half = staged.size() / 2;
      return insertInHalves(connection, staged.subList(0, half), rejected)
          + insertInHalves(connection, staged.subList(half, staged.size()), rejected);
    }

    /** The rows stored, or the row rejection that rolled the attempt back. */
    private record Attempt(long stored, SQLException refusal) {}

    /** Inserts the staged lines {@code from..to} under a savepoint, undone if a row is refused. */
    private static Attempt attempt(Connection connection, long from, long to) throws SQLException {
      Savepoint savepoint = connection.setSavepoint();
      try {
        long stored = insertLines(connection, from, to);
        connection.releaseSavepoint(savepoint);
        return new Attempt(stored, null);
      } catch (SQLException e) {
        if (!isRowRejection(e)) {
          throw e;
        }
        connection.rollback(savepoint);
        return new Attempt(0, e);
      }
    }

    private static long insertLines(Connection connection, long from, long to) throws SQLException {
      try (PreparedStatement insert = connection.prepareStatement(INSERT)) {
        insert.setLong(1, from);
        insert.setLong(2, to);
        try (ResultSet count = insert.executeQuery()) {
          count.next();
          return count.getLong(1);
        }
      }
    }

    private static ErrorRecord refused(Connection connection, long line, SQLException why)
        throws SQLException {
      try (PreparedStatement select =
          connection.prepareStatement(
              "SELECT " + COLUMNS + " FROM ingest_batch WHERE source_line = ?")) {
        select.setLong(1, line);
        try (ResultSet row = select.executeQuery()) {
          row.next();
          List<String> columns = new ArrayList<>();
          for (int i = 1; i <= 10; i++) {
            columns.add(row.getString(i));
          }
          Event event = Event.ofColumns(columns);
          return ErrorRecord.of(
              event.sourceFile(),
              line,
              Reason.DB_REJECTED,
              "database refused the row (SQLSTATE " + why.getSQLState() + "): " + why.getMessage(),
              event.toCsv());
        }
      }
    }
  }

  /**
   * The lines of one version, read up to its size: valid events go to {@code COPY} in blocks,
   * rejected lines to the error file, and every line is counted.
   */
  private static final class FileLines {
    private static final int BLOCK = 1 << 16;
    private final FileVersion version;
    private final CopyIn copy;
    private final ErrorFile errorFile;
    private final ByteArrayOutputStream rows = new ByteArrayOutputStream(BLOCK + 4096);
    final Map<Reason, Long> errorsByReason = new EnumMap<>(Reason.class);
    private LineParser.Header header;
    long lineNumber;
    long valid;
    long skipped;

    FileLines(FileVersion version, CopyIn copy, ErrorFile errorFile) {
      this.version = version;
      this.copy = copy;
      this.errorFile = errorFile;
    }

    /** False when the file held fewer bytes than its version's size (it was replaced). */
    boolean readAll() throws SQLException, IOException, UnreadableFile {
      byte[] line = new byte[1024];
      int length = 0;
      byte[] buffer = new byte[1 << 16];
      long total = 0;
      InputStream file;
      try {
        file = InputFolder.open(version);
      } catch (NoSuchFileException e) {
        return false;
      } catch (IOException e) {
        throw new UnreadableFile(e);
      }
      try (InputStream in =
          BoundedInputStream.builder().setInputStream(file).setMaxCount(version.size()).get()) {
        for (int read = read(in, buffer); read >= 0; read = read(in, buffer)) {
          total += read;
          for (int i = 0; i < read; i++) {
            byte b = buffer[i];
            if (b == '\n') {
              add(line, length);
              length = 0;
            } else {
              if (length == line.length) {
                line = Arrays.copyOf(line, length * 2);
              }
              line[length++] = b;
            }
          }
        }
      }
      if (length > 0) { // a last line without a line end
        add(line, length);
      }
      if (rows.size() > 0) {
        copy.writeToCopy(rows.toByteArray(), 0, rows.size());
      }
      return total == version.size();
    }

    private static int read(InputStream in, byte[] buffer) throws UnreadableFile {
      try {
        return in.read(buffer);
      } catch (IOException e) {
        throw new UnreadableFile(e);
      }
    }

    private void add(byte[] line, int length) throws SQLException, IOException {
      if (++lineNumber == 1) {
        header = LineParser.header(line, length);
      }
      Parsed parsed = LineParser.parse(version.path(), lineNumber, line, length, header);
      if (parsed instanceof Valid v) {
        valid++;
        rows.writeBytes(v.event().copyRow());
        if (rows.size() >= BLOCK) {
          copy.writeToCopy(rows.toByteArray(), 0, rows.size());
          rows.reset();
        }
      } else if (parsed instanceof Invalid invalid) {
        errorsByReason.merge(invalid.error().reason(), 1L, Long::sum);
        errorFile.add(invalid.error());
      } else {
        skipped++;
      }
    }
  }
}
