package io.shopstream.pipeline;

import static io.shopstream.pipeline.LandingScenario.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline (bundled jar, SparkRunner local[2], a checkpoint directory) is killed with SIGKILL
 * while files are being processed and started again on the same checkpoint: every valid event is
 * stored exactly once and every bad line has exactly one error record.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class CrashRecoveryIT {

  @TempDir Path work;
  @RegisterExtension final FreshDatabase fresh = new FreshDatabase();

  @Test
  void sigkillMidStreamThenRestartLosesNothingAndDuplicatesNothing() throws Exception {
    JdbcConfig database = fresh.config();
    Path staging = work.resolve("staging");
    Path in = Files.createDirectories(work.resolve("raw"));
    Path errors = Files.createDirectories(work.resolve("error"));
    List<Path> files = GeneratedFiles.generate(staging, 20, 42);
    assertEquals(20, files.size());

    GeneratedFiles.Expected expected = GeneratedFiles.expected(files, in);
    Set<String> expectedEvents = expected.events();
    Set<String> expectedErrors = expected.errors();
    assertTrue(expectedErrors.size() > 100, "the files hold invalid lines");

    List<String> args =
        List.of(
            "--runner=SparkRunner",
            "--sparkMaster=local[2]",
            "--checkpointDir=" + work.resolve("checkpoint"),
            "--inputDir=" + in,
            "--errorDir=" + errors,
            "--jdbcUrl=" + database.url());
    Set<String> firstHalf = GeneratedFiles.expected(files.subList(0, 10), in).events();
    try (JavaProcess first = JavaProcess.pipeline(work.resolve("first.log"), args)) {
      for (Path file : files.subList(0, 10)) {
        GeneratedFiles.land(file, in);
      }
      awaitTrue(
          () -> LandingScenario.storedRows(database) == firstHalf.size(), "the first half stored");
      // Let Spark checkpoint the source's state past the first half (its state is checkpointed
      // every few batches), so the restart can be seen to resume rather than start over.
      long stored = System.currentTimeMillis();
      awaitTrue(() -> newestCheckpoint(work.resolve("checkpoint")) > stored + 6000, "a checkpoint");
      for (Path file : files.subList(10, 15)) {
        GeneratedFiles.land(file, in);
      }
      awaitTrue(() -> LandingScenario.storedRows(database) > firstHalf.size(), "more rows stored");
      first.kill(); // mid-stream: later files are still being read, windowed or written
    }
    long storedAtCrash = LandingScenario.storedRows(database);
    assertTrue(storedAtCrash < expectedEvents.size());

    try (JavaProcess ignored = JavaProcess.pipeline(work.resolve("second.log"), args)) {
      for (Path file : files.subList(15, 20)) {
        GeneratedFiles.land(file, in);
      }
      awaitTrue(
          () -> LandingScenario.storedRows(database) == expectedEvents.size(),
          "all " + expectedEvents.size() + " events stored (" + storedAtCrash + " at the crash)");
      awaitTrue(
          () -> LandingScenario.errorRecords(errors).size() >= expectedErrors.size(),
          "all " + expectedErrors.size() + " error records");
    }

    assertEquals(
        expectedEvents.size(),
        TestDatabase.count(database, "SELECT count(DISTINCT event_id) FROM user_events"));
    List<JsonNode> records = LandingScenario.errorRecords(errors);
    Set<String> reported = new HashSet<>();
    for (JsonNode e : records) {
      assertTrue(
          reported.add(e.get("source").asText() + ":" + e.get("line").asInt()),
          "error record written twice: " + e);
    }
    assertEquals(expectedErrors, reported);

    // The restart resumed from the checkpoint: no listing found the first half new again
    // (starting over, the first listing would find all 15 files landed before it new).
    Matcher listed =
        Pattern.compile("Listed \\S+: \\d+ files, (\\d+) new")
            .matcher(Files.readString(work.resolve("second.log")));
    int mostNew = 0;
    while (listed.find()) {
      mostNew = Math.max(mostNew, Integer.parseInt(listed.group(1)));
    }
    assertTrue(mostNew > 0 && mostNew <= 10, "most files new in one listing: " + mostNew);
  }

  /** The batch time of the newest Spark checkpoint written, 0 if none. */
  private static long newestCheckpoint(Path checkpointDir) throws Exception {
    Path dir = checkpointDir.resolve("spark-checkpoint");
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .map(f -> f.getFileName().toString())
          .filter(f -> f.matches("checkpoint-\\d+"))
          .mapToLong(f -> Long.parseLong(f.substring("checkpoint-".length())))
          .max()
          .orElse(0);
    }
  }
}
