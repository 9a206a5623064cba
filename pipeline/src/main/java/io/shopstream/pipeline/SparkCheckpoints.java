package io.shopstream.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.stream.Stream;
import org.apache.commons.io.file.PathUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each SparkRunner run checkpoints into a folder of its own under {@code --checkpointDir}, so Spark
 * never resumes from an earlier run's checkpoint: the file ledger says what was ingested, and a
 * restore lost the output of the restarted pipeline's first reads (CrashRecoveryIT: after
 * "isTimeValid called with ... whereas the last valid time is ...", six files emitted were never
 * ingested). Runs whose checkpoint has not moved for {@link #STALE} are deleted.
 */
final class SparkCheckpoints {

  private static final Logger LOG = LoggerFactory.getLogger(SparkCheckpoints.class);
  static final String RUN_PREFIX = "run-";
  static final Duration STALE = Duration.ofMinutes(10);

  private SparkCheckpoints() {}

  /** A new folder for this run under {@code checkpointDir}, after clearing stale local runs. */
  static String freshRun(String checkpointDir) {
    String run = RUN_PREFIX + Instant.now().toEpochMilli() + "-" + ProcessHandle.current().pid();
    if (!checkpointDir.contains("://")) {
      deleteStaleRuns(Path.of(checkpointDir));
    }
    return checkpointDir.replaceAll("/+$", "") + "/" + run;
  }

  private static void deleteStaleRuns(Path dir) {
    if (!Files.isDirectory(dir)) {
      return;
    }
    Instant staleBefore = Instant.now().minus(STALE);
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path run :
          entries.filter(p -> p.getFileName().toString().startsWith(RUN_PREFIX)).toList()) {
        if (lastWritten(run).isBefore(staleBefore)) {
          PathUtils.deleteDirectory(run);
        }
      }
    } catch (IOException | UncheckedIOException e) {
      LOG.warn("Could not clear old runs' checkpoints in {}: {}", dir, e.toString());
    }
  }

  /** When anything in the folder was last written (Spark writes a checkpoint every few batches). */
  private static Instant lastWritten(Path run) throws IOException {
    Instant newest = Instant.EPOCH;
    try (Stream<Path> files = Files.walk(run)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Instant written = Files.getLastModifiedTime(file).toInstant();
        newest = written.isAfter(newest) ? written : newest;
      }
    }
    return newest;
  }
}
