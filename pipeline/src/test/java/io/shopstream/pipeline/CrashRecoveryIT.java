package io.shopstream.pipeline;

import static io.shopstream.pipeline.LandingScenario.awaitTrue;
import static io.shopstream.pipeline.LandingScenario.committedFiles;
import static io.shopstream.pipeline.LandingScenario.storedRows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shopstream.pipeline.core.files.FileVersion;
import io.shopstream.pipeline.core.files.ProcessedFiles;
import io.shopstream.pipeline.core.store.JdbcConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.commons.io.file.PathUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chaos: the pipeline (bundled jar, SparkRunner local[2], a checkpoint directory) is killed with
 * SIGKILL four times while files land, at random moments and in the middle of a write, and started
 * again; before one restart its checkpoint folder is deleted. In the end every distinct valid event
 * is stored once, every invalid line has exactly one error record, every file version has one
 * balanced ledger row, and the minute windows agree with the stored rows.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class CrashRecoveryIT {

  /**
   * A SIGKILL exactly between commits and their moves: the archive folder is made a file, so every
   * move after a commit fails and the committed files stay, as a kill right then leaves them.
   */
  @Test
  void aKillBetweenCommitAndArchiveLosesNothingAndTheFilesAreArchivedAtRestart() throws Exception {
    JdbcConfig database = fresh.config();
    Path in = Files.createDirectories(work.resolve("raw"));
    Path errors = Files.createDirectories(work.resolve("error"));
    Path archive = work.resolve("archive");
    List<Path> files = GeneratedFiles.generate(work.resolve("staging"), 3, 7);
    List<String> args = pipelineArgs(database, in, errors, archive);
    try (JavaProcess pipeline = JavaProcess.pipeline(work.resolve("run1.log"), args)) {
      awaitTrue(() -> Files.readString(pipeline.log).contains("Watching"), "run 1");
      Files.delete(archive);
      Files.writeString(archive, "not a folder");
      GeneratedFiles.land(files, in);
      awaitTrue(() -> committedFiles(database) == 3, "three files committed");
      assertEquals(3, names(in).size(), "committed, not moved");
      pipeline.kill();
    }
    long rows = storedRows(database);
    Files.delete(archive);
    Files.createDirectories(archive);
    try (JavaProcess ignored = JavaProcess.pipeline(work.resolve("run2.log"), args)) {
      awaitTrue(() -> names(in).isEmpty(), "the committed files archived at restart");
    }
    assertEquals(3, names(archive).size());
    assertEquals(rows, storedRows(database), "nothing stored twice");
    assertEquals(3, committedFiles(database), "nothing read again");
  }

  /**
   * Ctrl-C under load: SIGTERM while a micro-batch of 20 files is being ingested. The pipeline
   * stops by itself, well within the spec's 15 s (not by the launcher's fallback, which halts the
   * JVM when Spark's stop hangs), with no stack trace, nothing half-written, and the next start
   * ingests the rest exactly once.
   */
  @Test
  void aSigtermUnderLoadStopsCleanlyAndTheNextStartIngestsTheRest() throws Exception {
    JdbcConfig database = fresh.config();
    Path in = Files.createDirectories(work.resolve("raw"));
    Path errors = Files.createDirectories(work.resolve("error"));
    List<Path> files = GeneratedFiles.generate(work.resolve("staging"), 20, 30_000, 11);
    List<String> args = pipelineArgs(database, in, errors, work.resolve("archive"));
    try (JavaProcess pipeline = JavaProcess.pipeline(work.resolve("run1.log"), args)) {
      awaitTrue(() -> Files.readString(pipeline.log).contains("Watching"), "run 1");
      GeneratedFiles.land(files, in);
      awaitTrue(() -> committedFiles(database) > 0, "the first file committed");
      pipeline.process.destroy(); // SIGTERM, what Ctrl-C sends
      assertTrue(pipeline.process.waitFor(15, TimeUnit.SECONDS), "stopped within 15 s");
      String log = Files.readString(pipeline.log);
      String stop = log.substring(log.indexOf("shopstream: stopping"));
      assertFalse(stop.contains("did not stop"), "Spark stopped by itself:\n" + stop);
      assertFalse(stop.contains("\tat "), "no stack trace:\n" + stop);
    }
    assertTrue(committedFiles(database) < files.size(), "stopped in the middle of the workload");
    assertEquals(
        storedRows(database),
        TestDatabase.count(database, "SELECT coalesce(sum(stored), 0) FROM ingested_files"),
        "every stored row belongs to a committed version");
    try (JavaProcess ignored = JavaProcess.pipeline(work.resolve("run2.log"), args)) {
      awaitTrue(() -> committedFiles(database) == files.size(), "the rest committed");
    }
    GeneratedFiles.assertIngestedExactly(database, errors, files, in);
  }

  private List<String> pipelineArgs(JdbcConfig database, Path in, Path errors, Path archive) {
    return List.of(
        "--runner=SparkRunner",
        "--sparkMaster=local[2]",
        "--checkpointDir=" + work.resolve("checkpoint"),
        "--inputDir=" + in,
        "--errorDir=" + errors,
        "--processedAction=archive",
        "--archiveDir=" + archive,
        "--jdbcUrl=" + database.url());
  }

  private static TreeSet<String> names(Path folder) throws IOException {
    try (var entries = Files.list(folder)) {
      return entries
          .map(f -> f.getFileName().toString())
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }

  private static final int FILES = 24;

  @TempDir(cleanup = CleanupMode.ON_SUCCESS) // a failed run keeps the pipelines' logs
  Path work;

  @RegisterExtension final FreshDatabase fresh = new FreshDatabase();

  @Test
  void sigkillsAtAnyMomentLoseNothingAndDuplicateNothing() throws Exception {
    JdbcConfig database = fresh.config();
    Path in = Files.createDirectories(work.resolve("raw"));
    Path errors = Files.createDirectories(work.resolve("error"));
    Path checkpoint = work.resolve("checkpoint");
    Path archive = work.resolve("archive");
    List<Path> files = GeneratedFiles.generate(work.resolve("staging"), FILES, 42);
    GeneratedFiles.Expected expected = GeneratedFiles.expected(files, in);
    assertTrue(expected.errors().size() > 100, "the files hold invalid lines");
    long seed = System.nanoTime();
    Random random = new Random(seed);
    System.out.println("CrashRecoveryIT: kill moments from seed " + seed);

    // With archiving on, kills fall between commits and their moves too.
    List<String> args = pipelineArgs(database, in, errors, archive);
    // Each run: three files land while the pipeline is down, three more once it has started.
    for (int run = 1; run <= 4; run++) {
      GeneratedFiles.land(files.subList(6 * run - 6, 6 * run - 3), in);
      if (run == 4) {
        PathUtils.deleteDirectory(checkpoint); // the checkpoint is lost too
      }
      try (JavaProcess pipeline = JavaProcess.pipeline(work.resolve("run" + run + ".log"), args)) {
        long committed = committedFiles(database);
        awaitTrue(() -> Files.readString(pipeline.log).contains("Watching"), "run " + run);
        GeneratedFiles.land(files.subList(6 * run - 3, 6 * run), in);
        // Mid-stream: in the first write of the run (six files wait), or at a random moment once
        // the run has committed a file (looked for after that, a write may never come again).
        if (run % 2 == 0) {
          TestDatabase.awaitWrite(database);
        } else {
          awaitTrue(() -> committedFiles(database) > committed, "run " + run + " committing");
          TimeUnit.MILLISECONDS.sleep(random.nextInt(300)); // files commit every 0.1 s or so
        }
        pipeline.kill();
        System.out.printf(
            "CrashRecoveryIT: run %d killed with %d files committed, %d rows%n",
            run, committedFiles(database), storedRows(database));
      }
    }
    try (JavaProcess ignored = JavaProcess.pipeline(work.resolve("run5.log"), args)) {
      awaitTrue(
          () -> committedFiles(database) == FILES && names(in).isEmpty(),
          "every file committed and archived");
    }
    assertEquals(
        TestDatabase.query(
                database,
                "SELECT path, size, (extract(epoch FROM modified_at) * 1000)::bigint"
                    + " FROM ingested_files")
            .stream()
            .map(
                row ->
                    ProcessedFiles.archivedName(
                        new FileVersion(
                            row.get(0), Long.parseLong(row.get(1)), Long.parseLong(row.get(2)))))
            .collect(Collectors.toCollection(TreeSet::new)),
        names(archive),
        "each committed version archived once, under its version");

    assertEquals(new TreeMap<>(expected.eventsByType()), countsByType(database));
    GeneratedFiles.assertIngestedExactly(database, errors, files, in);
  }

  private static Map<String, Long> countsByType(JdbcConfig database) throws Exception {
    Map<String, Long> counts = new TreeMap<>();
    for (List<String> row :
        TestDatabase.query(
            database, "SELECT event_type, count(*) FROM user_events GROUP BY event_type")) {
      counts.put(row.get(0), Long.parseLong(row.get(1)));
    }
    return counts;
  }
}
