package io.shopstream.pipeline.core.ingest;

import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a group is tried again: after a pause from 0.1 s growing by half each time to 10 s, with
 * jitter (readers failing together do not retry together), and a warning that says why.
 */
final class Retries {

  private static final Logger LOG = LoggerFactory.getLogger(GroupIngest.class);
  private static final long FIRST_MILLIS = 100;
  private static final long MAX_MILLIS = 10_000;

  private long pause = FIRST_MILLIS;
  private int failures;

  /** Transient failures are retried; anything else that is not a row rejection is too, loudly. */
  static boolean isTransient(SQLException e) {
    String state = e.getSQLState();
    return e instanceof java.sql.SQLTransientException
        || e instanceof java.sql.SQLRecoverableException
        || state == null
        || state.startsWith("08") // connection exception
        || state.startsWith("53") // insufficient resources
        || state.startsWith("57") // operator intervention: shutdown, cannot connect now, cancel
        || state.startsWith("58") // system error (I/O)
        || state.equals("40001") // serialization failure
        || state.equals("40P01") // deadlock
        || state.equals("55P03"); // lock not available
  }

  /** True for SQLSTATE classes that mean "this row's data", not "the database is unwell". */
  static boolean isRowRejection(SQLException e) {
    String state = e.getSQLState();
    return state != null && (state.startsWith("22") || state.startsWith("23"));
  }

  void failed(List<GroupIngest.Found> todo, Exception e) throws InterruptedException {
    long sleep = nextPause();
    LOG.warn(
        "{} failure ingesting {} (attempt {}, {}); retrying in {} ms",
        e instanceof SQLException sql && isTransient(sql) ? "Transient" : "Unexpected",
        describe(todo),
        ++failures,
        e instanceof SQLException sql
            ? "SQLSTATE " + sql.getSQLState() + ": " + e.getMessage()
            : e.toString(),
        sleep);
    Thread.sleep(sleep);
  }

  void waitForLocks(List<GroupIngest.Found> todo) throws InterruptedException {
    LOG.info(
        "{} still locked by a session of a failed attempt; waiting for it to end", describe(todo));
    Thread.sleep(nextPause());
  }

  private long nextPause() {
    long sleep = (long) (pause * (0.5 + ThreadLocalRandom.current().nextDouble()));
    pause = Math.min(MAX_MILLIS, pause * 3 / 2);
    return sleep;
  }

  private static String describe(List<GroupIngest.Found> todo) {
    return todo.get(0).version() + (todo.size() > 1 ? " and " + (todo.size() - 1) + " more" : "");
  }
}
