package io.shopstream.pipeline;

import static io.shopstream.pipeline.LandingScenario.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shopstream.pipeline.core.store.JdbcConfig;
import io.shopstream.pipeline.core.store.WindowFold;
import io.shopstream.pipeline.ops.RunTotals;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole pipeline, streaming, on DirectRunner and on SparkRunner local[2], against a real
 * PostgreSQL: files land while it runs, and every line must end up in exactly one place.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class EndToEndTest {

  @TempDir Path work;
  @RegisterExtension final FreshDatabase fresh = new FreshDatabase();
  private PipelineResult result;

  @AfterEach
  void stop() throws Exception {
    if (result != null) {
      result.cancel();
    }
  }

  private JdbcConfig database;
  private Path in;
  private Path errors;

  @BeforeEach
  void folders() throws Exception {
    database = fresh.config();
    in = Files.createDirectories(work.resolve("raw"));
    errors = Files.createDirectories(work.resolve("error"));
  }

  private void start(String runner, String... more) throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--runner=" + runner,
                "--inputDir=" + in,
                "--errorDir=" + errors,
                "--jdbcUrl=" + database.url(),
                "--sparkMaster=local[2]",
                "--checkpointDir=" + work.resolve("checkpoint")));
    args.addAll(List.of(more));
    result = ShopstreamPipeline.run(ShopstreamPipeline.parse(args.toArray(String[]::new)));
  }

  /** Issue 13 end to end: header mapping, gzip, archive after commit, fix and replay. */
  @ParameterizedTest
  @ValueSource(strings = {"DirectRunner", "SparkRunner"})
  void mappedAndGzippedFilesAreArchivedAndARefusedRowIsReplayedOnceFixed(String runner)
      throws Exception {
    TestDatabase.execute(
        database, "ALTER TABLE user_events ADD CONSTRAINT no_toys CHECK (category <> 'Toys')");
    Path archive = work.resolve("archive");
    start(runner, "--processedAction=archive", "--archiveDir=" + archive);

    LandingScenario.land(
        in,
        "mapped.csv",
        "user_id,event_id,coupon,product_id,product_name,category,price,event_type,timestamp",
        "u7,e1,SAVE10,p3,Mug,Home,12.50,purchase,2026-01-01T10:00:00Z",
        "u8,e2,,p4,Ball,Toys,3,view,2026-01-01T10:00:00Z");
    Path packed = work.resolve("packed.csv.gz");
    try (var gzip = new GZIPOutputStream(Files.newOutputStream(packed))) {
      gzip.write((line("e3") + "\n" + line("e4") + "\n").getBytes(StandardCharsets.UTF_8));
    }
    Files.move(packed, in.resolve("packed.csv.gz"));
    awaitTrue(() -> stored(database, "e1") && stored(database, "e4"), "mapped and gzipped stored");
    awaitTrue(() -> names(in).isEmpty(), "both files archived");
    assertEquals(2, names(archive).size());
    assertEquals(
        List.of(List.of("u7", "12.50")),
        TestDatabase.query(
            database, "SELECT user_id, price FROM user_events WHERE event_id = 'e1'"));

    TestDatabase.execute(database, "ALTER TABLE user_events DROP CONSTRAINT no_toys"); // the fix
    ReplayOptions replay =
        PipelineOptionsFactory.fromArgs(
                "--inputDir=" + in, "--errorDir=" + errors, "--reason=DB_REJECTED")
            .as(ReplayOptions.class);
    assertEquals(1, ReplayErrors.replay(replay, database).size());
    awaitTrue(() -> stored(database, "e2"), "the refused row stored once fixed");
    awaitTrue(() -> names(archive).size() == 3, "the replay file archived too");
    assertEquals(
        List.of(List.of("mapped.csv", "3")),
        TestDatabase.query(
            database,
            "SELECT regexp_replace(r.source, '^.*/', ''), r.line FROM user_events u"
                + " JOIN replayed_errors r ON r.replay_file = u.source_file"
                + " AND r.replay_line = u.source_line"));
    assertEquals(4, LandingScenario.storedRows(database));
  }

  /**
   * Issue 30: a CSV file's extra columns and a JSON object's unknown keys are kept per row, every
   * bad JSON line is a record that replays as JSON Lines, and the ledger counts the extra columns.
   */
  @ParameterizedTest
  @ValueSource(strings = {"DirectRunner", "SparkRunner"})
  void extraColumnsAndJsonLinesAreStoredOrExplainedValueByValue(String runner) throws Exception {
    start(runner);
    LandingScenario.land(
        in,
        "extras.csv",
        "event_id,user_id,product_id,product_name,category,price,event_type,timestamp,coupon,channel",
        "e10,u1,p1,Mug,Home,12.50,purchase,2026-01-01T10:00:00Z,SAVE10,web",
        "e11,u1,p1,Mug,Home,12.50,view,2026-01-01T10:00:00Z,,app");
    String bad = json("e22").replace("}", "");
    LandingScenario.land(
        in,
        "events.jsonl",
        json("e20"),
        json("e21").replace("}", ",\"gift\":true}"),
        "",
        bad,
        "[1,2]");
    Path packed = work.resolve("packed.jsonl.gz");
    try (var gzip = new GZIPOutputStream(Files.newOutputStream(packed))) {
      gzip.write((json("e30") + "\n" + json("e31") + "\n").getBytes(StandardCharsets.UTF_8));
    }
    Files.move(packed, in.resolve("packed.jsonl.gz"));
    awaitTrue(() -> LandingScenario.committedFiles(database) == 3, "three files committed");

    assertEquals(
        List.of(
            List.of("e10", "{\"coupon\": \"SAVE10\", \"channel\": \"web\"}"),
            List.of("e11", "{\"channel\": \"app\"}"),
            List.of("e20", "-"),
            List.of("e21", "{\"gift\": true}"),
            List.of("e30", "-"),
            List.of("e31", "-")),
        TestDatabase.query(
            database,
            "SELECT event_id, coalesce(extras::text, '-') FROM user_events ORDER BY event_id"));
    assertEquals(
        List.of(List.of("e10")),
        TestDatabase.query(
            database, "SELECT event_id FROM user_events WHERE extras->>'coupon' = 'SAVE10'"));
    assertEquals(
        List.of(
            List.of("events.jsonl", "5", "2", "1", "2", "{\"MALFORMED_JSON\": 2}", "{\"gift\": 1}"),
            List.of("extras.csv", "3", "2", "1", "0", "{}", "{\"coupon\": 1, \"channel\": 2}"),
            List.of("packed.jsonl.gz", "2", "2", "0", "0", "{}", "{}")),
        TestDatabase.query(
            database,
            "SELECT regexp_replace(path, '^.*/', ''), lines, stored, skipped, errors,"
                + " errors_by_reason::text, extra_columns::text FROM ingested_files"
                + " WHERE lines = stored + duplicates + skipped + errors ORDER BY 1"),
        "name, lines, stored, skipped, errors, by reason, extra columns; balanced");

    ReplayOptions replay =
        PipelineOptionsFactory.fromArgs(
                "--inputDir=" + in, "--errorDir=" + errors, "--reason=MALFORMED_JSON")
            .as(ReplayOptions.class);
    List<Path> landed = ReplayErrors.replay(replay, database);
    assertEquals(1, landed.size());
    assertTrue(landed.get(0).toString().endsWith(".jsonl"), landed.toString());
    assertEquals(List.of(bad, "[1,2]"), Files.readAllLines(landed.get(0)));
    awaitTrue(() -> LandingScenario.committedFiles(database) == 4, "the replay file committed");
    assertEquals(
        List.of(List.of("2", "2", "{\"MALFORMED_JSON\": 2}")),
        TestDatabase.query(
            database,
            "SELECT lines, errors, errors_by_reason::text FROM ingested_files"
                + " WHERE path = '"
                + landed.get(0)
                + "'"),
        "the bad lines fail again, each once more explained");
  }

  private static String json(String id) {
    return "{\"event_id\":\""
        + id
        + "\",\"user_id\":\"u2\",\"product_id\":\"p2\",\"product_name\":\"Lamp\","
        + "\"category\":\"Home\",\"price\":7.5,\"event_type\":\"view\","
        + "\"timestamp\":\"2026-01-01T10:00:00Z\"}";
  }

  /**
   * Issue 29: windows stay exact whatever the spread of event times (a backfill over 90 days: about
   * a window per row), for late events (every file reaches back over the whole spread), for windows
   * two transactions update at once (events within minutes, files landed together), and for
   * duplicates across files.
   */
  @ParameterizedTest
  @ValueSource(strings = {"DirectRunner", "SparkRunner"})
  void windowsStayExactForBackfillsLateEventsAndDuplicatesAcrossFiles(String runner)
      throws Exception {
    start(runner);
    List<Path> backfill =
        GeneratedFiles.generate(work.resolve("backfill"), 4, 2000, 31, "--spreadDays", "90");
    List<Path> dense =
        GeneratedFiles.generate(work.resolve("dense"), 4, 2000, 32, "--spreadDays", "0.01");
    try (WindowFold fold = WindowFold.start(database)) { // as the launcher runs it
      GeneratedFiles.land(backfill.subList(0, 2), in);
      awaitTrue(
          () -> LandingScenario.committedFiles(database) == 2, "the first two files committed");
      awaitTrue(() -> nothingPending(), "the first files' windows folded once ingest is quiet");
      // late events and duplicates into folded windows, and two transactions' into the same
      List<Path> rest = new ArrayList<>(backfill.subList(2, 4));
      rest.addAll(dense);
      GeneratedFiles.land(rest, in);
      awaitTrue(() -> LandingScenario.committedFiles(database) == 8, "every file committed");
      List<Path> all = new ArrayList<>(backfill);
      all.addAll(dense);
      GeneratedFiles.assertIngestedExactly(database, errors, all, in);
      assertTrue(
          TestDatabase.count(database, "SELECT count(*) FROM event_stats_minute") > 7000,
          "a backfill's rows fall in windows of their own");
      awaitTrue(() -> nothingPending(), "every window folded");
      LandingScenario.assertWindowsMatchEvents(database);
    }
  }

  private boolean nothingPending() throws Exception {
    return TestDatabase.count(database, "SELECT count(*) FROM event_stats_pending") == 0;
  }

  private static List<String> names(Path folder) throws Exception {
    try (var entries = Files.list(folder)) {
      return entries.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"DirectRunner", "SparkRunner"})
  void everyLandedLineIsStoredCountedOrExplained(String runner) throws Exception {
    start(runner);

    LandingScenario.land(in, database);
    LandingScenario.assertOutcome(database, errors);
    awaitTrue(
        () -> {
          Map<String, Long> metrics = RunTotals.runnerMetrics(result);
          return LandingScenario.EXPECTED_METRICS.entrySet().stream()
              .allMatch(e -> e.getValue().equals(metrics.get(e.getKey())));
        },
        "metrics account for every line: " + LandingScenario.EXPECTED_METRICS);
  }

  /** docs/reference.md: every version is read once, and nothing that is not a regular file. */
  @ParameterizedTest
  @ValueSource(strings = {"DirectRunner", "SparkRunner"})
  void reLandedGrownAndOldFilesAreReadLinksAndFoldersNever(String runner) throws Exception {
    Path secret = Files.writeString(work.resolve("secret.csv"), line("s1") + "\n");
    Files.createSymbolicLink(in.resolve("link.csv"), secret);
    Files.createDirectories(in.resolve("folder.csv"));
    Files.writeString(in.resolve("folder.csv").resolve("inner.csv"), line("s2") + "\n");
    start(runner);

    LandingScenario.land(in, "a.csv", line("e1"));
    awaitTrue(() -> stored(database, "e1"), "a.csv stored");
    LandingScenario.land(in, "a.csv", line("e2"), line("e3")); // same name, other content
    awaitTrue(() -> stored(database, "e3"), "a.csv re-landed stored");

    Path growing = in.resolve("g.csv"); // written in place, no rename
    Files.writeString(growing, line("e4") + "\n");
    awaitTrue(() -> stored(database, "e4"), "g.csv stored");
    Files.writeString(growing, line("e5") + "\n", StandardOpenOption.APPEND);
    awaitTrue(() -> stored(database, "e5"), "g.csv grown stored");

    Path old = LandingScenario.land(in, "old.csv", line("e6"));
    Files.setLastModifiedTime(
        old, FileTime.fromMillis(System.currentTimeMillis() - 365L * 86400_000));
    awaitTrue(() -> stored(database, "e6"), "an old file moved in stored");

    assertEquals(
        List.of(
            List.of("a.csv", "1", "1", "0"),
            List.of("a.csv", "2", "2", "0"),
            List.of("g.csv", "1", "1", "0"),
            List.of("g.csv", "2", "1", "1"),
            List.of("old.csv", "1", "1", "0")),
        TestDatabase.query(
            database,
            "SELECT regexp_replace(path, '^.*/', ''), lines, stored, duplicates"
                + " FROM ingested_files ORDER BY path, size"));
    assertEquals(6, LandingScenario.storedRows(database), "nothing through a link or a folder");
  }

  private static String line(String id) {
    return id + ",u1,p1,Shoes,Clothing,19.99,view,2026-01-01T10:00:00Z";
  }

  private static boolean stored(JdbcConfig database, String id) throws Exception {
    return TestDatabase.count(
            database, "SELECT count(*) FROM user_events WHERE event_id = '" + id + "'")
        == 1;
  }
}
