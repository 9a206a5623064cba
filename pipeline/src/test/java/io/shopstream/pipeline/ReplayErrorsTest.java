package io.shopstream.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.shopstream.pipeline.beam.FileVersionCoders;
import io.shopstream.pipeline.beam.IngestFiles;
import io.shopstream.pipeline.core.files.InputFolder;
import io.shopstream.pipeline.core.files.ProcessedFiles;
import io.shopstream.pipeline.core.parse.ExtraColumns;
import io.shopstream.pipeline.core.parse.LineParser;
import io.shopstream.pipeline.core.store.JdbcConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Fix and replay: error records back into the input folder, stored once, with their lineage. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ReplayErrorsTest {

  @RegisterExtension final FreshDatabase fresh = new FreshDatabase();
  @TempDir Path work;

  private void ingest(JdbcConfig database, Path errors, Path file) throws Exception {
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.create());
    pipeline
        .apply(
            Create.of(List.of(List.of(InputFolder.current(file.toString()).orElseThrow())))
                .withCoder(FileVersionCoders.LIST))
        .apply(
            new IngestFiles(database, errors.toString(), ProcessedFiles.KEEP, ExtraColumns.rescue));
    pipeline.run().waitUntilFinish();
  }

  private ReplayOptions options(Path in, Path errors, JdbcConfig database, String... filters) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of("--inputDir=" + in, "--errorDir=" + errors, "--jdbcUrl=" + database.url()));
    args.addAll(List.of(filters));
    return PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).as(ReplayOptions.class);
  }

  @Test
  void fixedRowsAreStoredOnceWithTheirLineageAndTheRestFailAgain() throws Exception {
    JdbcConfig database = fresh.config();
    Path in = Files.createDirectories(work.resolve("raw"));
    Path errors = Files.createDirectories(work.resolve("error"));
    TestDatabase.execute(
        database, "ALTER TABLE user_events ADD CONSTRAINT no_toys CHECK (category <> 'Toys')");
    Path a =
        Files.writeString(
            in.resolve("a.csv"),
            "user_id,event_id,product_id,product_name,category,price,event_type,timestamp\n"
                + "u1,e1,p1,Ball,Toys,3,view,2026-01-01T10:00:00Z\n"
                + "u2,e2,p1,Ball,Home,-3,view,2026-01-01T10:00:00Z\n"
                + "u3,e3,p1,Mug,Home,4,view,2026-01-01T10:00:00Z\n");
    ingest(database, errors, a);
    assertEquals(1, TestDatabase.count(database, "SELECT count(*) FROM user_events"));

    // The fix: the constraint was wrong. Replay only what the database refused first.
    TestDatabase.execute(database, "ALTER TABLE user_events DROP CONSTRAINT no_toys");
    List<Path> landed =
        ReplayErrors.replay(options(in, errors, database, "--reason=DB_REJECTED"), database);
    assertEquals(1, landed.size());
    assertEquals(
        List.of(
            String.join(",", LineParser.COLUMNS), "e1,u1,p1,Ball,Toys,3,view,2026-01-01T10:00:00Z"),
        Files.readAllLines(landed.get(0)));
    // A crash before the file landed: the next replay lands it again, and nothing twice.
    Files.delete(landed.get(0));
    // Then all the rest: the refused row's file again (it never landed) and the bad price's.
    List<Path> all = ReplayErrors.replay(options(in, errors, database), database);
    assertEquals(2, all.size());
    assertEquals(landed.get(0), all.get(0));
    assertEquals(List.of(), ReplayErrors.replay(options(in, errors, database), database));
    ingest(database, errors, all.get(0));
    ingest(database, errors, all.get(1));

    assertEquals(
        List.of(List.of("e1", "a.csv", "2"), List.of("e3", "a.csv", "4")),
        TestDatabase.query(
            database,
            "SELECT u.event_id, regexp_replace(coalesce(r.source, u.source_file), '^.*/', ''),"
                + " coalesce(r.line, u.source_line) FROM user_events u LEFT JOIN replayed_errors r"
                + " ON r.replay_file = u.source_file AND r.replay_line = u.source_line ORDER BY 1"));
    List<JsonNode> again =
        LandingScenario.errorRecords(errors).stream()
            .filter(r -> r.get("source").asText().equals(all.get(1).toString()))
            .toList();
    assertEquals(1, again.size(), "the line that is still bad fails again, once");
    assertEquals("BAD_PRICE", again.get(0).get("reason").asText());
    assertTrue(again.get(0).get("raw").asText().startsWith("u2,e2,"), "under its file's header");
  }

  @Test
  void aRefusedRowWithExtraColumnsReplaysAsJsonLinesAndKeepsThem() throws Exception {
    JdbcConfig database = fresh.config();
    Path in = Files.createDirectories(work.resolve("raw"));
    Path errors = Files.createDirectories(work.resolve("error"));
    TestDatabase.execute(
        database, "ALTER TABLE user_events ADD CONSTRAINT no_toys CHECK (category <> 'Toys')");
    Path file =
        Files.writeString(
            in.resolve("x.csv"),
            String.join(",", LineParser.COLUMNS)
                + ",coupon\ne7,u7,p1,Ball,Toys,3,view,2026-01-01T10:00:00Z,SAVE7\n");
    ingest(database, errors, file);
    TestDatabase.execute(database, "ALTER TABLE user_events DROP CONSTRAINT no_toys");
    List<Path> landed = ReplayErrors.replay(options(in, errors, database), database);
    assertEquals(1, landed.size());
    assertTrue(landed.get(0).toString().endsWith(".jsonl"), landed.toString());
    ingest(database, errors, landed.get(0));
    assertEquals(
        List.of(List.of("e7", "Toys", "{\"coupon\": \"SAVE7\"}")),
        TestDatabase.query(database, "SELECT event_id, category, extras::text FROM user_events"));
  }

  @Test
  void headerMismatchesReplayUnderTheStandardHeaderWhereTheirNamesMapAndTheRestSayWhyNot()
      throws Exception {
    JdbcConfig database = fresh.config();
    Path in = Files.createDirectories(work.resolve("raw"));
    Path errors = Files.createDirectories(work.resolve("error"));
    Path mappable =
        Files.writeString(
            in.resolve("m1.csv"),
            "Event ID,User-Id,product_id,product_name,category,price,event_type,timestamp,coupon\n"
                + "e5,u5,p1,Mug,Home,4,view,2026-01-01T10:00:00Z,SAVE5\n");
    Path unmappable =
        Files.writeString(
            in.resolve("m2.csv"),
            "event_id,user,product_id,product_name,category,price,event_type,timestamp\n"
                + "e6,u6,p1,Mug,Home,4,view,2026-01-01T10:00:00Z\n");
    ingest(database, errors, mappable);
    ingest(database, errors, unmappable);
    assertEquals(0, TestDatabase.count(database, "SELECT count(*) FROM user_events"));
    Files.delete(mappable); // the header comes from the record, not from the file

    List<Path> landed =
        ReplayErrors.replay(options(in, errors, database, "--reason=HEADER_MISMATCH"), database);
    assertEquals(1, landed.size());
    assertEquals(
        List.of(
            String.join(",", LineParser.COLUMNS) + ",coupon",
            "e5,u5,p1,Mug,Home,4,view,2026-01-01T10:00:00Z,SAVE5"),
        Files.readAllLines(landed.get(0)));
    ingest(database, errors, landed.get(0));
    assertEquals(
        List.of(List.of("e5", "u5", "{\"coupon\": \"SAVE5\"}")),
        TestDatabase.query(database, "SELECT event_id, user_id, extras::text FROM user_events"));
    assertEquals(
        List.of(List.of("m1.csv")),
        TestDatabase.query(
            database, "SELECT regexp_replace(source, '^.*/', '') FROM replayed_errors"),
        "the unmapped record is not logged as replayed");

    JsonNode record =
        LandingScenario.errorRecords(errors).stream()
            .filter(r -> r.get("source").asText().equals(unmappable.toString()))
            .findFirst()
            .orElseThrow();
    ReplayErrors.Mapped why =
        ReplayErrors.mapped(
            new ReplayErrors.Chosen(
                "m2.errors.jsonl",
                unmappable.toString(),
                2,
                "HEADER_MISMATCH",
                record.get("message").asText(),
                record.get("raw").asText()));
    assertTrue(why.why().contains("no column of its header is user_id"), why.why());
  }

  @Test
  void replayFilesAreStampedToTheMillisecondAlsoOnAWholeSecond() {
    assertEquals("20261202180102000", ReplayErrors.stamp(Instant.parse("2026-12-02T18:01:02Z")));
    assertEquals(
        "20261202180102123", ReplayErrors.stamp(Instant.parse("2026-12-02T18:01:02.123456Z")));
  }
}
