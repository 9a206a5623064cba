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
  void replayFilesAreStampedToTheMillisecondAlsoOnAWholeSecond() {
    assertEquals("20261202180102000", ReplayErrors.stamp(Instant.parse("2026-12-02T18:01:02Z")));
    assertEquals(
        "20261202180102123", ReplayErrors.stamp(Instant.parse("2026-12-02T18:01:02.123456Z")));
  }
}
