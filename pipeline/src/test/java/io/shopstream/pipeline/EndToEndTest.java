package io.shopstream.pipeline;

import static io.shopstream.pipeline.LandingScenario.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.PipelineResult;
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

  private void start(String runner) throws Exception {
    result =
        ShopstreamPipeline.run(
            ShopstreamPipeline.parse(
                "--runner=" + runner,
                "--inputDir=" + in,
                "--errorDir=" + errors,
                "--jdbcUrl=" + database.url(),
                "--sparkMaster=local[2]",
                "--checkpointDir=" + work.resolve("checkpoint")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"DirectRunner", "SparkRunner"})
  void everyLandedLineIsStoredCountedOrExplained(String runner) throws Exception {
    start(runner);

    LandingScenario.land(in, database);
    LandingScenario.assertOutcome(database, errors);
    awaitTrue(
        () -> {
          Map<String, Long> metrics = Progress.snapshot(result);
          return LandingScenario.EXPECTED_METRICS.entrySet().stream()
              .allMatch(e -> e.getValue().equals(metrics.get(e.getKey())));
        },
        "metrics account for every line: " + LandingScenario.EXPECTED_METRICS);
  }

  /** SPEC.md section 3: every version is read once, and nothing that is not a regular file. */
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
