package io.shopstream.pipeline.core.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Folds the window counts that ingest transactions append to {@code event_stats_pending} into
 * {@code event_stats_folded}. {@code event_stats_minute} sums both, so the windows are exact
 * whether or not a fold has run: folding only keeps the pending part small. Each batch moves its
 * rows in one transaction (deleted from the pending table, added to the folded one), so a count is
 * never lost or added twice, also when a pipeline stops mid-fold; one session folds at a time.
 *
 * <p>Upserted in each ingest transaction, the windows of a backfill (event times over months, about
 * a window per row) would be a second insert as large as the rows', and concurrent transactions
 * would wait for each other's window rows (docs/decisions.md). Folded when ingest is quiet, many
 * transactions' counts of a window become one update, in one sorted statement; under a steady load
 * they are folded at least every {@link #MAX_AGE}.
 */
public final class WindowFold implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(WindowFold.class);

  /** How often the running pipeline looks at the pending windows. */
  static final Duration TICK = Duration.ofSeconds(1);

  /** Ingest is quiet once no version has been committed, and none is being written, for this. */
  static final Duration QUIET = Duration.ofSeconds(3);

  /** Pending windows older than this are folded even while ingest goes on. */
  static final Duration MAX_AGE = Duration.ofSeconds(30);

  /** Pending rows moved per transaction: a fold stays far inside the database timeout. */
  static final int BATCH_ROWS = 500_000;

  static final String FOLD =
      "WITH moved AS (DELETE FROM event_stats_pending WHERE ctid = ANY (ARRAY("
          + "SELECT ctid FROM event_stats_pending LIMIT ?))"
          + " RETURNING minute, category, event_type, events, revenue),"
          + " folded AS (INSERT INTO event_stats_folded AS w"
          + " (minute, category, event_type, events, revenue)"
          + " SELECT minute, category, event_type, sum(events), sum(revenue) FROM moved"
          + " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON CONFLICT (minute, category, event_type)"
          + " DO UPDATE SET events = w.events + excluded.events,"
          + " revenue = w.revenue + excluded.revenue)"
          + " SELECT count(*) FROM moved";

  /**
   * The newest ledger row, whether another session of this database is in a transaction that has
   * written (an ingest on its way to its commit), and whether anything is pending.
   */
  private static final String STATE =
      "SELECT (SELECT coalesce(max(file_id), 0) FROM ingested_files),"
          + " EXISTS (SELECT 1 FROM pg_stat_activity WHERE backend_xid IS NOT NULL"
          + " AND datname = current_database() AND pid <> pg_backend_pid()),"
          + " EXISTS (SELECT 1 FROM event_stats_pending)";

  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread thread = new Thread(r, "shopstream-window-fold");
            thread.setDaemon(true);
            return thread;
          });

  private long lastFileId = -1;
  private Instant activeAt;
  private Instant pendingSince;
  private boolean failing;
  private final KeptConnection connection;

  WindowFold(JdbcConfig database) {
    this.connection = new KeptConnection(database);
  }

  /** Folds the database's pending windows from now on, until closed. */
  public static WindowFold start(JdbcConfig database) {
    WindowFold fold = new WindowFold(database);
    fold.timer.scheduleWithFixedDelay(
        fold::tickSafely, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
    return fold;
  }

  private void tickSafely() {
    try {
      tick(connection.get(), Instant.now());
      if (failing) {
        LOG.info("Folding windows again");
        failing = false;
      }
    } catch (SQLException | RuntimeException e) {
      // Nothing is lost: the pending windows stay counted in event_stats_minute until a fold.
      if (!failing) { // once per outage, not once a second
        LOG.warn("Folding windows failed, trying again every {} s: {}", TICK.toSeconds(), e);
      }
      failing = true;
      connection.close(); // the next tick connects again
    }
  }

  /** Folds what is pending if ingest is quiet or it has waited long enough; true if it folded. */
  boolean tick(Connection connection, Instant now) throws SQLException {
    long fileId;
    boolean writing;
    boolean pending;
    try (Statement statement = connection.createStatement();
        ResultSet state = statement.executeQuery(STATE)) {
      state.next();
      fileId = state.getLong(1);
      writing = state.getBoolean(2);
      pending = state.getBoolean(3);
    }
    if (fileId != lastFileId || writing || activeAt == null) {
      lastFileId = fileId;
      activeAt = now;
    }
    if (!pending) {
      pendingSince = null;
      return false;
    }
    if (pendingSince == null) {
      pendingSince = now;
    }
    boolean quiet = !Duration.between(activeAt, now).minus(QUIET).isNegative();
    boolean old = !Duration.between(pendingSince, now).minus(MAX_AGE).isNegative();
    if (!quiet && !old) {
      return false;
    }
    fold(connection);
    pendingSince = null;
    return true;
  }

  /**
   * Folds every pending window, a batch of rows per transaction, unless another session is folding
   * (then it does that): the pending rows moved.
   */
  public static long fold(Connection connection) throws SQLException {
    return fold(connection, BATCH_ROWS);
  }

  static long fold(Connection connection, int batchRows) throws SQLException {
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(false);
    try (Statement lock = connection.createStatement();
        PreparedStatement fold = connection.prepareStatement(FOLD)) {
      long moved = 0;
      for (long batch = batchRows; batch == batchRows; ) {
        try (ResultSet alone =
            lock.executeQuery("SELECT pg_try_advisory_xact_lock(hashtext('shopstream fold'))")) {
          alone.next();
          if (!alone.getBoolean(1)) {
            connection.rollback();
            return moved;
          }
        }
        fold.setInt(1, batchRows);
        try (ResultSet rows = fold.executeQuery()) {
          rows.next();
          batch = rows.getLong(1);
        }
        connection.commit();
        moved += batch;
      }
      return moved;
    } catch (SQLException | RuntimeException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(autoCommit);
    }
  }

  /**
   * Stops folding at once: a fold under way is rolled back by the server as its connection is
   * aborted, and its windows stay pending, counted once.
   */
  @Override
  public void close() {
    timer.shutdownNow();
    connection.abort();
  }
}
