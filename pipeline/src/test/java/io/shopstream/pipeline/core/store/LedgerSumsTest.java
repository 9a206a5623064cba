package io.shopstream.pipeline.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.shopstream.pipeline.FreshDatabase;
import io.shopstream.pipeline.TestDatabase;
import io.shopstream.pipeline.core.parse.ErrorRecord.Reason;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The ledger's running totals read only what was committed lately, and add up to the whole. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class LedgerSumsTest {

  @RegisterExtension final FreshDatabase fresh = new FreshDatabase();

  private int rows;

  /** A ledger row committed {@code ago} before now, with one BAD_PRICE error in every other. */
  private void committed(Duration ago) throws Exception {
    int n = ++rows;
    TestDatabase.execute(
        fresh.config(),
        "INSERT INTO ingested_files (path, size, modified_at, found_at, committed_at, lines,"
            + " stored, duplicates, skipped, errors, errors_by_reason, read_by) VALUES ('/in/f"
            + n
            + ".csv', 1, now(), now(), clock_timestamp() - interval '"
            + ago.toSeconds()
            + " seconds', 10, "
            + (8 - n % 2)
            + ", 1, 1, "
            + (n % 2)
            + ", '"
            + (n % 2 == 1 ? "{\"BAD_PRICE\": 1}" : "{}")
            + "', 'test')");
  }

  private Ledger.Totals whole(Instant from) throws Exception {
    try (Connection c = fresh.config().connect()) {
      return Ledger.between(c, from, null);
    }
  }

  @Test
  void aRowOfATransactionStillOpenIsNotSettledBeforeItCommitsWhateverTheClock() throws Exception {
    Ledger.Sums sums = new Ledger.Sums(Instant.EPOCH, Duration.ZERO);
    try (Connection c = fresh.config().connect();
        Connection writer = fresh.config().connect()) {
      writer.setAutoCommit(false);
      try (var insert = writer.createStatement()) {
        insert.execute(
            "INSERT INTO ingested_files (path, size, modified_at, found_at, lines, stored,"
                + " duplicates, skipped, errors, read_by)"
                + " VALUES ('/in/slow.csv', 1, now(), now(), 1, 1, 0, 0, 0, 'test')");
      }
      assertEquals(0, sums.now(c).files());
      writer.commit();
      assertEquals(1, sums.now(c).files(), "counted once committed");
    }
  }

  @Test
  void theTotalsEqualTheWholeLedgersAtEveryCallWithoutCountingASettledRowTwice() throws Exception {
    for (int i = 0; i < 3; i++) {
      committed(Duration.ofHours(2));
    }
    committed(Duration.ofMinutes(30));
    committed(Duration.ofSeconds(5));
    Instant halfAnHourAgo = Instant.now().minus(Duration.ofMinutes(45));
    Ledger.Sums all = new Ledger.Sums(Instant.EPOCH, Duration.ofMinutes(1));
    Ledger.Sums recent = new Ledger.Sums(halfAnHourAgo, Duration.ofMinutes(1));
    try (Connection c = fresh.config().connect()) {
      for (int call = 0; call < 3; call++) {
        assertEquals(whole(Instant.EPOCH), all.now(c), "call " + call);
        assertEquals(whole(halfAnHourAgo), recent.now(c), "call " + call);
        committed(Duration.ZERO);
      }
      Ledger.Totals totals = all.now(c);
      assertEquals(8, totals.files());
      assertEquals(4, totals.withErrors());
      assertEquals(new Ledger.Counts(80, 60, 8, 8, Map.of(Reason.BAD_PRICE, 4L)), totals.counts());
      assertEquals(5, recent.now(c).files());
    }
  }
}
