package io.shopstream.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
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

  @Test
  void theLocalFileSystemSetsPermissionsThroughJavaNio() throws Exception {
    Configuration conf = new Configuration(false);
    conf.set("fs.file.impl", SparkCheckpoints.LocalFileSystem.class.getName());
    conf.setBoolean("fs.file.impl.disable.cache", true);
    FileSystem fs = FileSystem.get(dir.toUri(), conf);
    assertEquals(SparkCheckpoints.LocalFileSystem.class, fs.getClass());
    org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(dir.resolve("cp").toUri());
    try (FSDataOutputStream out = fs.create(file)) {
      out.writeUTF("checkpoint");
    }
    fs.setPermission(file, new FsPermission((short) 0640));
    assertEquals(
        "rw-r-----",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("cp"))));
    fs.setPermission(file, new FsPermission((short) 01755));
    assertEquals(
        "rwxr-xr-x",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("cp"))));
    try (var in = fs.open(file)) {
      assertEquals("checkpoint", in.readUTF(), "read back through the checksummed file system");
    }
  }
}
