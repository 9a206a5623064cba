package io.shopstream.pipeline;

import static io.shopstream.pipeline.Events.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shopstream.pipeline.ErrorRecord.Reason;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The writer against a real PostgreSQL. */
@ExtendWith(TestPipelineExtension.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class WriteEventsTest {

  private static final Coder<List<byte[]>> ROWS = ListCoder.of(ByteArrayCoder.of());

  @RegisterExtension final FreshDatabase fresh = new FreshDatabase();

  @Test
  void storesBatchesOnceAndRejectsOnlyTheRowsTheDatabaseRefuses(TestPipeline pipeline)
      throws SQLException {
    JdbcConfig database = fresh.config();
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < 2500; i++) {
      events.add(event("e" + i, "/in/a.csv", i + 2));
    }
    events.add(event("e7", "/in/b.csv", 2)); // a duplicate of a row in the same run
    Event outOfRange = Events.withTime(event("bad", "/in/b.csv", 3), "+294277-01-01T00:00:00Z");
    events.add(outOfRange);

    PCollection<ErrorRecord> rejected =
        pipeline
            .apply(Create.of(List.of(Events.rows(events))).withCoder(ROWS))
            .apply(new WriteEvents(database, 1000));
    PAssert.that(rejected)
        .satisfies(
            errors -> {
              List<ErrorRecord> list = new ArrayList<>();
              errors.forEach(list::add);
              assertEquals(1, list.size(), list.toString());
              ErrorRecord error = list.get(0);
              assertEquals(Reason.DB_REJECTED, error.reason());
              assertEquals("/in/b.csv", error.source());
              assertEquals(3, error.line());
              assertTrue(error.message().contains("SQLSTATE 22"), error.message());
              assertTrue(error.raw().startsWith("bad,u1,p1,Red Shoes,"), error.raw());
              return null;
            });
    pipeline.run().waitUntilFinish();

    assertEquals(2500, TestDatabase.count(database, "SELECT count(*) FROM user_events"));
    assertEquals(
        List.of(List.of("e7", "/in/a.csv", "9", "19.99", "2026-01-01 10:00:00+00")),
        TestDatabase.query(
            database,
            "SELECT event_id, source_file, source_line, price,"
                + " to_char(event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS+00')"
                + " FROM user_events WHERE event_id = 'e7'"));
  }

  @Test
  void textWithCommasAndQuotesIsStoredAsIs(TestPipeline pipeline) throws SQLException {
    JdbcConfig database = fresh.config();
    Event e = event("q", "/in/a, \"b\".csv", 2);
    Event quoted =
        new Event(
            e.eventId(),
            e.userId(),
            e.productId(),
            "Shoes, \"Red\"",
            e.category(),
            e.price(),
            e.eventType(),
            e.eventTime(),
            e.sourceFile(),
            e.sourceLine());
    pipeline
        .apply(Create.of(List.of(Events.rows(List.of(quoted)))).withCoder(ROWS))
        .apply(new WriteEvents(database, 10));
    pipeline.run().waitUntilFinish();

    assertEquals(
        List.of(List.of("Shoes, \"Red\"", "/in/a, \"b\".csv")),
        TestDatabase.query(database, "SELECT product_name, source_file FROM user_events"));
  }

  @Test
  void replayingABatchStoresNothingTwice(TestPipeline pipeline) throws SQLException {
    JdbcConfig database = fresh.config();
    List<Event> events = List.of(event("a", "/in/a.csv", 2), event("b", "/in/a.csv", 3));
    pipeline
        .apply("First", Create.of(List.of(Events.rows(events))).withCoder(ROWS))
        .apply("WriteFirst", new WriteEvents(database, 10));
    pipeline
        .apply("Replay", Create.of(List.of(Events.rows(events))).withCoder(ROWS))
        .apply("WriteReplay", new WriteEvents(database, 10));
    pipeline.run().waitUntilFinish();
    assertEquals(2, TestDatabase.count(database, "SELECT count(*) FROM user_events"));
  }

  @Test
  void classifiesDatabaseFailures() {
    assertTrue(WriteEvents.isRowRejection(new SQLException("out of range", "22008")));
    assertTrue(WriteEvents.isRowRejection(new SQLException("check", "23514")));
    assertFalse(WriteEvents.isRowRejection(new SQLException("refused", "08001")));
    assertFalse(WriteEvents.isRowRejection(new SQLException("no table", "42P01")));

    assertTrue(WriteEvents.isTransient(new SQLException("refused", "08001")));
    assertTrue(WriteEvents.isTransient(new SQLException("lost", "08006")));
    assertTrue(WriteEvents.isTransient(new SQLException("serialization", "40001")));
    assertTrue(WriteEvents.isTransient(new SQLException("deadlock", "40P01")));
    assertTrue(WriteEvents.isTransient(new SQLException("shutdown", "57P01")));
    assertTrue(WriteEvents.isTransient(new SQLException("starting up", "57P03")));
    assertTrue(WriteEvents.isTransient(new SQLRecoverableException("io")));
    assertTrue(WriteEvents.isTransient(new SQLException("pool timeout")));
    assertFalse(WriteEvents.isTransient(new SQLException("no table", "42P01")));
    assertFalse(WriteEvents.isTransient(new SQLException("out of range", "22008")));
  }
}
