package io.shopstream.pipeline.core.ingest;

import io.shopstream.pipeline.core.parse.ErrorRecord;
import io.shopstream.pipeline.core.parse.ErrorRecord.Reason;
import io.shopstream.pipeline.core.parse.Event;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The valid events of one transaction on their way into {@code user_events}: they stream into a
 * per-connection staging table with {@code COPY}, the fastest way into PostgreSQL, and go on with
 * {@code INSERT ... SELECT ... ON CONFLICT DO NOTHING} a chunk at a time. A chunk is what was
 * staged when it passed {@code chunkBytes}, so a large version is stored as it is read, in the same
 * transaction, and no sort or staging table grows with the file (one statement for a large file
 * spills them to disk). Of an id in two chunks the earlier one's row is stored (its insert came
 * first), so the earliest line still wins (docs/reference.md).
 */
final class Staging implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Staging.class);

  /**
   * Staged rows are numbered ({@code seq}) in the order of their versions and lines, each with the
   * number of its file in {@code ingest_files} (a path on every row would be a third of the bytes
   * PostgreSQL parses).
   */
  static final String TABLES =
      "CREATE TEMP TABLE IF NOT EXISTS ingest_batch (seq bigint, event_id text, user_id text,"
          + " product_id text, product_name text, category text, price text, event_type text,"
          + " event_time text, file int, source_line bigint, extras text) ON COMMIT DELETE ROWS;"
          + " CREATE TEMP TABLE IF NOT EXISTS ingest_files (file int, source_file text)"
          + " ON COMMIT DELETE ROWS";

  static final String COPY = "COPY ingest_batch FROM STDIN WITH (FORMAT csv)";

  static final String COLUMNS =
      "event_id, user_id, product_id, product_name, category, price, event_type, event_time,"
          + " source_file, source_line, extras";

  /**
   * The earliest staged row of each id in the range given, into {@code user_events} unless stored
   * already; the window counts of the rows stored appended to {@code event_stats_pending}, in the
   * same transaction (see {@link io.shopstream.pipeline.core.store.WindowFold}); the rows stored
   * per source file. Ids go in sorted, so two transactions sharing ids lock them in the same order
   * and cannot deadlock.
   */
  static final String INSERT =
      "WITH stored AS (INSERT INTO user_events ("
          + COLUMNS
          + ") SELECT DISTINCT ON (event_id) event_id, user_id, product_id, product_name, category,"
          + " price::numeric, event_type, event_time::timestamptz, source_file, source_line,"
          + " extras::jsonb"
          + " FROM ingest_batch JOIN ingest_files USING (file) WHERE seq BETWEEN ? AND ?"
          + " ORDER BY event_id, seq ON CONFLICT (event_id) DO NOTHING"
          + " RETURNING event_time, category, event_type, price, source_file),"
          + " windows AS (INSERT INTO event_stats_pending (minute, category, event_type, events,"
          + " revenue) SELECT date_bin('1 minute', event_time, timestamptz 'epoch'), category,"
          + " event_type, count(*), sum(price) FROM stored"
          + " GROUP BY 1, 2, 3)"
          + " SELECT source_file, count(*) FROM stored GROUP BY 1";

  private final Connection connection;
  private final long chunkBytes;
  private CopyIn copy;
  private long bytes;
  private final Map<String, Long> stored = new HashMap<>();
  private final List<ErrorRecord> refused = new ArrayList<>();

  /** The ids of refused rows: a later row of such an id is a duplicate, as it would be after it. */
  private final Set<String> refusedIds = new HashSet<>();

  /** Staging for the files given, numbered from 1 in order. */
  Staging(Connection connection, List<String> files, long chunkBytes) throws SQLException {
    this.connection = connection;
    this.chunkBytes = chunkBytes;
    try (Statement statement = connection.createStatement()) {
      statement.execute(TABLES);
    }
    try (PreparedStatement insert =
        connection.prepareStatement("INSERT INTO ingest_files VALUES (?, ?)")) {
      for (int i = 0; i < files.size(); i++) {
        insert.setInt(1, i + 1);
        insert.setString(2, files.get(i));
        insert.addBatch();
      }
      insert.executeBatch();
    }
    copy = copyIn();
  }

  private CopyIn copyIn() throws SQLException {
    return connection.unwrap(PGConnection.class).getCopyAPI().copyIn(COPY);
  }

  /**
   * Rows in {@code COPY}'s CSV, each line whole; once {@code chunkBytes} are staged they are
   * stored. Only with a {@code chunkBytes} that keeps the rows stored so far from being of a
   * version left out later: a transaction of one version is rolled back whole.
   */
  void add(byte[] rows) throws SQLException {
    copy.writeToCopy(rows, 0, rows.length);
    bytes += rows.length;
    if (bytes >= chunkBytes) {
      copy.endCopy();
      storeStaged();
      try (Statement statement = connection.createStatement()) {
        statement.execute("TRUNCATE ingest_batch");
      }
      copy = copyIn();
      bytes = 0;
    }
  }

  /**
   * Stores what is staged but the rows numbered {@code left[i][0] < seq <= left[i][1]} (versions
   * left out). Returns the rows stored per source file, over every chunk.
   */
  Map<String, Long> finish(List<long[]> left) throws SQLException {
    copy.endCopy();
    if (!left.isEmpty()) {
      try (PreparedStatement delete =
          connection.prepareStatement("DELETE FROM ingest_batch WHERE seq > ? AND seq <= ?")) {
        for (long[] range : left) {
          delete.setLong(1, range[0]);
          delete.setLong(2, range[1]);
          delete.addBatch();
        }
        delete.executeBatch();
      }
    }
    storeStaged();
    return stored;
  }

  /** The rows the database refused, as {@code DB_REJECTED} records. */
  List<ErrorRecord> refused() {
    return refused;
  }

  @Override
  public void close() throws SQLException {
    if (copy.isActive()) {
      copy.cancelCopy();
    }
  }

  /** Inserts the staged rows; those the database refuses become records. */
  private void storeStaged() throws SQLException {
    if (!refusedIds.isEmpty()) {
      try (PreparedStatement delete =
          connection.prepareStatement("DELETE FROM ingest_batch WHERE event_id = ANY (?)")) {
        Array ids = connection.createArrayOf("text", refusedIds.toArray());
        delete.setArray(1, ids);
        delete.executeUpdate();
        ids.free();
      }
    }
    Attempt all = attempt(0, Long.MAX_VALUE);
    if (all.refusal() == null) {
      all.stored().forEach((file, rows) -> stored.merge(file, rows, Long::sum));
      return;
    }
    LOG.warn(
        "A row was refused ({}: {}); inserting in halves to find it",
        all.refusal().getSQLState(),
        all.refusal().getMessage());
    // The earliest row of an id wins even if the database refuses it.
    try (Statement statement = connection.createStatement()) {
      statement.execute(
          "DELETE FROM ingest_batch a USING ingest_batch b"
              + " WHERE a.event_id = b.event_id AND a.seq > b.seq");
    }
    List<Long> staged = new ArrayList<>();
    try (Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT seq FROM ingest_batch ORDER BY 1")) {
      while (rows.next()) {
        staged.add(rows.getLong(1));
      }
    }
    insertInHalves(staged);
  }

  private void insertInHalves(List<Long> staged) throws SQLException {
    if (staged.isEmpty()) {
      return;
    }
    Attempt attempt = attempt(staged.get(0), staged.get(staged.size() - 1));
    if (attempt.refusal() == null) {
      attempt.stored().forEach((file, rows) -> stored.merge(file, rows, Long::sum));
    } else if (staged.size() == 1) {
      refused.add(refused(staged.get(0), attempt.refusal()));
    } else {
      int half = staged.size() / 2;
      insertInHalves(staged.subList(0, half));
      insertInHalves(staged.subList(half, staged.size()));
    }
  }

  /** The rows stored per source file, or the row rejection that rolled the attempt back. */
  private record Attempt(Map<String, Long> stored, SQLException refusal) {}

  /** Inserts the staged rows {@code from..to} under a savepoint, undone if a row is refused. */
  private Attempt attempt(long from, long to) throws SQLException {
    Savepoint savepoint = connection.setSavepoint();
    try {
      Map<String, Long> rows = insertRows(from, to);
      connection.releaseSavepoint(savepoint);
      return new Attempt(rows, null);
    } catch (SQLException e) {
      if (!Retries.isRowRejection(e)) {
        throw e;
      }
      connection.rollback(savepoint);
      return new Attempt(Map.of(), e);
    }
  }

  private Map<String, Long> insertRows(long from, long to) throws SQLException {
    Map<String, Long> rows = new HashMap<>();
    try (PreparedStatement insert = connection.prepareStatement(INSERT)) {
      insert.setLong(1, from);
      insert.setLong(2, to);
      try (ResultSet counts = insert.executeQuery()) {
        while (counts.next()) {
          rows.put(counts.getString(1), counts.getLong(2));
        }
      }
    }
    return rows;
  }

  private ErrorRecord refused(long seq, SQLException why) throws SQLException {
    try (PreparedStatement select =
        connection.prepareStatement(
            "SELECT "
                + COLUMNS
                + " FROM ingest_batch JOIN ingest_files USING (file) WHERE seq = ?")) {
      select.setLong(1, seq);
      try (ResultSet row = select.executeQuery()) {
        row.next();
        List<String> columns = new ArrayList<>();
        for (int i = 1; i <= 11; i++) {
          columns.add(row.getString(i));
        }
        Event event = Event.ofColumns(columns);
        refusedIds.add(event.eventId());
        return ErrorRecord.of(
            event.sourceFile(),
            event.sourceLine(),
            Reason.DB_REJECTED,
            "database refused the row (SQLSTATE " + why.getSQLState() + "): " + why.getMessage(),
            event.toLine());
      }
    }
  }
}
