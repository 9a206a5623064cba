package io.shopstream.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.io.file.PathUtils;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each SparkRunner run checkpoints into a folder of its own under {@code --checkpointDir}, so Spark
 * never resumes from an earlier run's checkpoint: the file ledger says what was ingested, and a
 * restore can lose the output of the restarted pipeline's first reads (Spark logs "isTimeValid
 * called with ... whereas the last valid time is ..." and drops what they emit; see
 * docs/decisions.md). Runs whose checkpoint has not moved for {@link #STALE} are deleted.
 *
 * <p>Local checkpoints are written through {@link LocalFileSystem}.
 */
final class SparkCheckpoints {

  private static final Logger LOG = LoggerFactory.getLogger(SparkCheckpoints.class);
  static final String RUN_PREFIX = "run-";
  static final Duration STALE = Duration.ofMinutes(10);

  private static final String HADOOP_FILE_IMPL = "spark.hadoop.fs.file.impl";

  private SparkCheckpoints() {}

  /** Has Spark (driver and executors) write local files through {@link LocalFileSystem}. */
  static void useLocalFileSystem() {
    if (System.getProperty(HADOOP_FILE_IMPL) == null) {
      System.setProperty(HADOOP_FILE_IMPL, LocalFileSystem.class.getName());
    }
  }

  /**
   * Hadoop's local file system, setting permissions through {@code java.nio}: without Hadoop's
   * native library it starts a {@code chmod} process for every file it creates, and Spark creates
   * about seven checkpoint files a second (a tenth of an idle pipeline's CPU went to them).
   */
  public static final class LocalFileSystem extends org.apache.hadoop.fs.LocalFileSystem {
    public LocalFileSystem() {
      super(
          new RawLocalFileSystem() {
            @Override
            public void setPermission(org.apache.hadoop.fs.Path path, FsPermission permission)
                throws IOException {
              Files.setPosixFilePermissions(pathToFile(path).toPath(), posix(permission));
            }
          });
    }

    static Set<PosixFilePermission> posix(FsPermission permission) {
      PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ (0400) first
      Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
      for (int i = 0; i < bits.length; i++) {
        if ((permission.toShort() & (0400 >> i)) != 0) {
          set.add(bits[i]);
        }
      }
      return set;
    }
  }

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
