package io.shopstream.pipeline;

import io.shopstream.pipeline.ErrorRecord.Reason;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.sql.Statement;
import java.util.List;
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
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores events, as the {@link Event#copyRow COPY rows} {@link DeduplicateEvents} hands over, in
 * {@code user_events} with an idempotent batched insert, one transaction per batch: {@code COPY}
 * straight into the table, or, when the batch meets an id already stored, into a staging table and
 * on with {@code INSERT ... ON CONFLICT (event_id) DO NOTHING}; so a batch is stored whole or not
 * at all and a replayed batch stores nothing twice. Batches are cut at {@code batchSize} rows from
 * the lists of the de-duplication groups, so writes run in parallel, one per group, without an
 * extra shuffle.
 *
 * <p>Transient failures (lost connection, serialization failure, timeouts, server shutting down)
 * are retried with exponential backoff, forever: a batch is never dropped. A batch the database
 * refuses for a data reason (SQLSTATE class 22 or 23) is retried row by row, and only the refused
 * rows become {@code DB_REJECTED} error records. The output is those records.
 */
public final class WriteEvents
    extends PTransform<PCollection<List<byte[]>>, PCollection<ErrorRecord>> {

  private static final Logger LOG = LoggerFactory.getLogger(WriteEvents.class);

  /** A per-connection staging table; rows go in with COPY, the fastest way into PostgreSQL. */
  static final String STAGING =
      "CREATE TEMP TABLE IF NOT EXISTS user_events_batch (event_id text, user_id text,"
          + " product_id text, product_name text, category text, price text, event_type text,"
          + " event_time text, source_file text, source_line bigint) ON COMMIT DELETE ROWS";

  static final String COPY = "COPY user_events_batch FROM STDIN WITH (FORMAT csv)";

  static final String COLUMNS =
      "event_id, user_id, product_id, product_name, category, price, event_type, event_time,"
          + " source_file, source_line";

  static final String COPY_INTO_TABLE =
      "COPY user_events (" + COLUMNS + ") FROM STDIN WITH (FORMAT csv)";

  static final String UNIQUE_VIOLATION = "23505";

  static final String INSERT =
      "INSERT INTO user_events ("
          + COLUMNS
          + ") SELECT event_id, user_id, product_id, product_name, category, price::numeric,"
          + " event_type, event_time::timestamptz, source_file, source_line"
          + " FROM user_events_batch ON CONFLICT (event_id) DO NOTHING";

  private final JdbcConfig database;
  private final int batchSize;

  public WriteEvents(JdbcConfig database, int batchSize) {
    this.database = database;
    this.batchSize = batchSize;
  }

  @Override
  public PCollection<ErrorRecord> expand(PCollection<List<byte[]>> rows) {
    return rows.apply("InsertBatches", ParDo.of(new InsertBatchFn(database, batchSize)))
        .setCoder(ErrorRecord.coder());
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

  /** The rows back to back: one COPY's input. */
  private static byte[] concat(List<byte[]> rows) {
    ByteArrayOutputStream all = new ByteArrayOutputStream(rows.size() * 200);
    rows.forEach(all::writeBytes);
    return all.toByteArray();
  }

  static final class InsertBatchFn extends DoFn<List<byte[]>, ErrorRecord> {
    private final JdbcConfig database;
    private final int batchSize;
    private final Counter stored = Metrics.counter(Metrics.STORED);
    private final Counter duplicates = Metrics.counter(Metrics.DUPLICATES);
    private final Metrics.ErrorCounter errors = new Metrics.ErrorCounter();
    private final Gauge lag = Metrics.gauge(Metrics.LAG_MILLIS);

    private transient DataSource dataSource;

    InsertBatchFn(JdbcConfig database, int batchSize) {
      this.database = database;
      this.batchSize = batchSize;
    }

    @Setup
    public void setup() {
      dataSource = database.pooledDataSource();
    }

    @ProcessElement
    public void processElement(
        @Element List<byte[]> rows, @Timestamp Instant arrival, OutputReceiver<ErrorRecord> out)
        throws IOException, InterruptedException {
      for (int from = 0; from < rows.size(); from += batchSize) {
        write(rows.subList(from, Math.min(rows.size(), from + batchSize)), out);
      }
      lag.set(System.currentTimeMillis() - arrival.getMillis());
    }

    private void write(List<byte[]> batch, OutputReceiver<ErrorRecord> out)
        throws IOException, InterruptedException {
      try {
        count(batch.size(), insertWithRetry(batch));
      } catch (SQLException rowRejection) {
        LOG.warn(
            "Batch of {} rows refused ({}: {}); retrying row by row",
            batch.size(),
            rowRejection.getSQLState(),
            rowRejection.getMessage());
        for (byte[] row : batch) {
          try {
            count(1, insertWithRetry(List.of(row)));
          } catch (SQLException e) {
            Event event = Event.fromCopyRow(row);
            errors.inc(Reason.DB_REJECTED);
            out.output(
                ErrorRecord.of(
                    event.sourceFile(),
                    event.sourceLine(),
                    Reason.DB_REJECTED,
                    "database refused the row (SQLSTATE "
                        + e.getSQLState()
                        + "): "
                        + e.getMessage(),
                    event.toCsv()));
          }
        }
      }
    }

    private void count(int rows, int inserted) {
      stored.inc(inserted);
      duplicates.inc(rows - inserted);
    }

    /**
     * Inserts the rows in one statement, retrying until it succeeds or the database rejects the
     * data; only a row rejection is thrown.
     */
    private int insertWithRetry(List<byte[]> rows)
        throws SQLException, IOException, InterruptedException {
      BackOff backoff =
          FluentBackoff.DEFAULT
              .withInitialBackoff(Duration.millis(100))
              .withMaxBackoff(Duration.standardSeconds(10))
              .withMaxRetries(Integer.MAX_VALUE)
              .backoff();
      for (int attempt = 1; ; attempt++) {
        try {
          return insert(rows);
        } catch (SQLException e) {
          if (isRowRejection(e)) {
            throw e;
          }
          long sleep = backoff.nextBackOffMillis();
          String kind = isTransient(e) ? "Transient" : "Unexpected";
          LOG.warn(
              "{} database failure writing {} rows (attempt {}, SQLSTATE {}: {}); retrying in {} ms",
              kind,
              rows.size(),
              attempt,
              e.getSQLState(),
              e.getMessage(),
              sleep);
          Sleeper.DEFAULT.sleep(sleep);
        }
      }
    }

    /**
     * Stores the rows in one transaction. A batch of ids not stored yet (the usual case) is copied
     * straight into {@code user_events}, a third faster than through the staging table; a batch
     * that meets a stored id (a duplicate across windows, a replay) gets a unique violation, is
     * rolled back and goes through the staging table with {@code ON CONFLICT DO NOTHING}.
     */
    private int insert(List<byte[]> rows) throws SQLException {
      byte[] csv = concat(rows);
      try (Connection connection = dataSource.getConnection()) {
        connection.setAutoCommit(false);
        try {
          CopyManager copy = connection.unwrap(PGConnection.class).getCopyAPI();
          try {
            long copied = copy.copyIn(COPY_INTO_TABLE, new ByteArrayInputStream(csv));
            connection.commit();
            return (int) copied;
          } catch (SQLException e) {
            if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
              throw e;
            }
            connection.rollback();
          }
          try (Statement statement = connection.createStatement()) {
            statement.execute(STAGING);
            copy.copyIn(COPY, new ByteArrayInputStream(csv));
            int inserted = statement.executeUpdate(INSERT);
            connection.commit();
            return inserted;
          }
        } catch (SQLException | IOException e) {
          SQLException failure =
              e instanceof SQLException sql ? sql : new SQLRecoverableException(e);
          if (isRowRejection(failure)) {
            connection.rollback();
          } else {
            // Closed for good, so the pool drops it: pgjdbc's COPY does not mark a connection
            // broken by an I/O error, and the pool handed that same dead connection back to every
            // retry (seen in DatabaseOutageIT).
            connection.abort(Runnable::run);
          }
          throw failure;
        }
      }
    }
  }
}
