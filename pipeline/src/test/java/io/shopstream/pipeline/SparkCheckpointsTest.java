package io.shopstream.pipeline;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SparkCheckpointsTest {

  @TempDir Path dir;

  @Test
  void everyRunGetsAFolderOfItsOwnAndStaleRunsAreDeleted() throws Exception {
    Path stale = Files.createDirectories(dir.resolve("run-1-1/spark-checkpoint"));
    Path staleFile = Files.writeString(stale.resolve("checkpoint-1"), "x");
    FileTime old = FileTime.from(Instant.now().minus(SparkCheckpoints.STALE).minusSeconds(60));
    for (Path p : new Path[] {staleFile, stale, stale.getParent()}) {
      Files.setLastModifiedTime(p, old);
    }
    Path live = Files.createDirectories(dir.resolve("run-2-2/spark-checkpoint"));
    Path other = Files.createDirectories(dir.resolve("not-a-run"));
    Files.setLastModifiedTime(other, old);

    String first = SparkCheckpoints.freshRun(dir + "/");
    String second = SparkCheckpoints.freshRun(dir.toString());

    assertTrue(first.startsWith(dir + "/run-"), first);
    assertNotEquals(first, second);
    assertFalse(Files.exists(stale.getParent()), "a stale run is deleted");
    assertTrue(Files.exists(live), "a run still written is kept");
    assertTrue(Files.exists(other), "what is not a run is kept");
  }
}
