package io.shopstream.pipeline.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shopstream.pipeline.FreshDatabase;
import io.shopstream.pipeline.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Folding moves the pending window counts into the folded windows without changing what {@code
 * event_stats_minute} says, before, during or after; and it waits for ingest to be quiet.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class WindowFoldTest {

  @RegisterExtension final FreshDatabase fresh = new FreshDatabase();

  private static final String WINDOWS =
      "SELECT minute, category, event_type, events, revenue FROM event_stats_minute ORDER BY 1, 2, 3";

  /** A transaction's window count for minute {@code m} of 2026-01-01 in category {@code c}. */
  private static String pending(int m, String c, int events, String revenue) {
    return "INSERT INTO event_stats_pending VALUES (timestamptz '2026-01-01' + interval '"
        + m
        + " minutes', '"
        + c
        + "', 'view', "
        + events
        + ", "
        + revenue
        + ")";
  }

  private void execute(String... statements) throws Exception {
    for (String sql : statements) {
      TestDatabase.execute(fresh.config(), sql);
    }
  }

  private List<List<String>> windows() throws Exception {
    return TestDatabase.query(fresh.config(), WINDOWS);
  }

  private long count(String table) throws Exception {
    return TestDatabase.count(fresh.config(), "SELECT count(*) FROM " + table);
  }

  @Test
  void foldingAddsEveryPendingCountToItsWindowOnceInBatches() throws Exception {
    execute(
        "INSERT INTO event_stats_folded VALUES (timestamptz '2026-01-01', 'books', 'view', 5, 50)",
        pending(0, "books", 2, "20.50"),
        pending(0, "books", 1, "1.25"),
        pending(1, "books", 3, "3"),
        pending(0, "games", 4, "4"),
        pending(1, "books", 1, "0.75"));
    List<List<String>> before = windows();
    assertEquals(
        List.of(
            List.of("2026-01-01 00:00:00+00", "books", "view", "8", "71.75"),
            List.of("2026-01-01 00:00:00+00", "games", "view", "4", "4.00"),
            List.of("2026-01-01 00:01:00+00", "books", "view", "4", "3.75")),
        before);
    try (Connection c = fresh.config().connect()) {
      assertEquals(5, WindowFold.fold(c, 2), "every pending row, two per transaction");
    }
    assertEquals(before, windows());
    assertEquals(0, count("event_stats_pending"));
    assertEquals(3, count("event_stats_folded"));
  }

  @Test
  void countsCommittedDuringAFoldAreFoldedLaterNotLostNorCountedTwice() throws Exception {
    execute(pending(0, "books", 1, "1"));
    try (Connection ingest = fresh.config().connect();
        Connection c = fresh.config().connect()) {
      ingest.setAutoCommit(false);
      try (Statement statement = ingest.createStatement()) {
        statement.execute(pending(0, "books", 10, "10"));
      }
      assertEquals(1, WindowFold.fold(c, 100), "what was committed when the fold began");
      ingest.commit();
      assertEquals(
          List.of(List.of("2026-01-01 00:00:00+00", "books", "view", "11", "11.00")), windows());
      assertEquals(1, WindowFold.fold(c, 100));
    }
    assertEquals(
        List.of(List.of("2026-01-01 00:00:00+00", "books", "view", "11", "11.00")), windows());
    assertEquals(0, count("event_stats_pending"));
  }

  @Test
  void aFoldWaitsForIngestToBeQuietOrForItsCountsToBeOld() throws Exception {
    WindowFold fold = new WindowFold(fresh.config());
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    try (Connection c = fresh.config().connect()) {
      assertFalse(fold.tick(c, t), "nothing pending");
      execute(pending(0, "books", 1, "1"), ledgerRow(1));
      assertFalse(fold.tick(c, t.plusSeconds(1)), "a version was just committed");
      assertFalse(fold.tick(c, t.plusSeconds(3)), "quiet for 2 s");
      assertTrue(fold.tick(c, t.plusSeconds(4)), "quiet for 3 s");
      assertEquals(0, count("event_stats_pending"));

      // A version committed every second: folded once the oldest count has waited 30 s.
      Instant busy = t.plusSeconds(10);
      for (int s = 0; s < 30; s++) {
        execute(pending(s, "books", 1, "1"), ledgerRow(2 + s));
        assertFalse(fold.tick(c, busy.plusSeconds(s)), "folded while busy after " + s + " s");
      }
      execute(ledgerRow(100));
      assertTrue(fold.tick(c, busy.plusSeconds(30)));
      assertEquals(0, count("event_stats_pending"));
      assertEquals(
          31, TestDatabase.count(fresh.config(), "SELECT sum(events) FROM event_stats_minute"));
    }
  }

  private static String ledgerRow(int n) {
    return "INSERT INTO ingested_files (path, size, modified_at, found_at, lines, stored,"
        + " duplicates, skipped, errors, read_by) VALUES ('/in/f"
        + n
        + ".csv', 1, now(), now(), 0, 0, 0, 0, 0, 'test')";
  }

  @Test
  void aFoldIsNotHeldUpByAnotherSessionFolding() throws Exception {
    execute(pending(0, "books", 1, "1"));
    try (Connection other = fresh.config().connect();
        Connection c = fresh.config().connect()) {
      other.setAutoCommit(false);
      try (Statement statement = other.createStatement()) {
        statement.execute("SELECT pg_advisory_xact_lock(hashtext('shopstream fold'))");
      }
      assertEquals(0, WindowFold.fold(c, 100), "left to the session folding");
      other.rollback();
      assertEquals(1, WindowFold.fold(c, 100));
    }
    assertEquals(0, count("event_stats_pending"));
  }
}
