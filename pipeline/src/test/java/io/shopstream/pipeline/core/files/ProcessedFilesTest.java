package io.shopstream.pipeline.core.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What becomes of a committed file: archived whole (a link on the same file system), removed only
 * if it is still the committed version, and what a crash left half done settled at start by the
 * ledger. The other file system's case runs in FaultsIT (it needs a mount).
 */
class ProcessedFilesTest {

  @TempDir Path work;
  private Path in;
  private Path archive;
  private ProcessedFiles archiving;

  @BeforeEach
  void folders() throws Exception {
    in = Files.createDirectories(work.resolve("raw"));
    archive = Files.createDirectories(work.resolve("archive"));
    archiving = new ProcessedFiles(ProcessedFiles.Action.archive, archive.toString());
  }

  private FileVersion land(String name, String content, long modifiedMillis) throws Exception {
    Path file = Files.writeString(in.resolve(name), content);
    Files.setLastModifiedTime(file, FileTime.fromMillis(modifiedMillis));
    return InputFolder.current(file.toString()).orElseThrow();
  }

  private static List<String> names(Path folder) throws Exception {
    try (Stream<Path> files = Files.list(folder)) {
      return files.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void aCommittedFileIsArchivedWholeAndLinkedOnTheSameFileSystem() throws Exception {
    FileVersion a = land("a.csv", "x\n", 1_000);
    Object inode = Files.readAttributes(Path.of(a.path()), BasicFileAttributes.class).fileKey();
    archiving.apply(a);
    assertEquals(List.of(), names(in));
    Path copy = archive.resolve("a.1000-2.csv");
    assertEquals(List.of("a.1000-2.csv"), names(archive));
    assertEquals("x\n", Files.readString(copy));
    assertEquals(inode, Files.readAttributes(copy, BasicFileAttributes.class).fileKey());
  }

  @Test
  void aFileReplacedByANewVersionStaysWhereItIs() throws Exception {
    FileVersion a = land("a.csv", "x\n", 1_000);
    land("a.csv", "xy\n", 2_000);
    archiving.apply(a);
    assertEquals(List.of("a.csv"), names(in));
    assertEquals(List.of(), names(archive));
  }

  @Test
  void aWholeCopyFromBeforeACrashIsKeptAndTheInputRemoved() throws Exception {
    FileVersion a = land("a.csv", "x\n", 1_000);
    Path copy = Files.writeString(archive.resolve("a.1000-2.csv"), "x\n");
    Object inode = Files.readAttributes(copy, BasicFileAttributes.class).fileKey();
    archiving.apply(a);
    assertEquals(List.of(), names(in));
    assertEquals(inode, Files.readAttributes(copy, BasicFileAttributes.class).fileKey());
  }

  /**
   * Every reader archives the committed files it lists, so at a restart two readers archive the
   * same files at the same moment: each file ends archived once, with no hidden copy left beside it
   * and no failed attempt (a rename onto a link of the same file does nothing and keeps both
   * names).
   */
  @Test
  void twoReadersArchivingTheSameFileAtOnceLeaveOneCopy() throws Exception {
    ExecutorService readers = Executors.newFixedThreadPool(2);
    try {
      for (int i = 0; i < 2000; i++) {
        FileVersion file = land("f" + i + ".csv", "x\n", 1_000);
        CyclicBarrier together = new CyclicBarrier(2);
        List<Future<?>> both = new ArrayList<>();
        for (int reader = 0; reader < 2; reader++) {
          both.add(
              readers.submit(
                  () -> {
                    together.await();
                    archiving.apply(file);
                    return null;
                  }));
        }
        for (Future<?> done : both) {
          done.get(10, TimeUnit.SECONDS);
        }
      }
    } finally {
      readers.shutdownNow();
    }
    assertEquals(List.of(), names(in));
    assertEquals(
        IntStream.range(0, 2000).mapToObj(i -> "f" + i + ".1000-2.csv").sorted().toList(),
        names(archive));
  }

  @Test
  void startUpSettlesWhatACrashLeftByTheLedger() throws Exception {
    FileVersion committed = land(".a.csv.deleting", "x\n", 1_000);
    land(".b.csv.deleting", "y\n", 2_000); // renamed away, then found not to be committed
    Files.writeString(archive.resolve(".c.3000-2.csv.tmp"), "half a co");
    FileVersion asCommitted = new FileVersion(in.resolve("a.csv").toString(), 2, 1_000);
    assertEquals(committed.size(), asCommitted.size());

    archiving.recover(in, versions -> Set.of(asCommitted));

    assertEquals(List.of("b.csv"), names(in), "the committed one deleted, the other back");
    assertEquals(2_000, Files.getLastModifiedTime(in.resolve("b.csv")).toMillis());
    assertEquals(List.of(), names(archive), "no half copy left");
  }

  @Test
  void deleteRemovesOnlyTheCommittedVersion() throws Exception {
    ProcessedFiles deleting = new ProcessedFiles(ProcessedFiles.Action.delete, null);
    FileVersion a = land("a.csv", "x\n", 1_000);
    deleting.apply(a);
    assertFalse(Files.exists(Path.of(a.path())));
    FileVersion b = land("b.csv", "x\n", 1_000);
    land("b.csv", "xy\n", 2_000);
    deleting.apply(b);
    assertTrue(Files.exists(Path.of(b.path())), "a new version is not deleted");
  }
}
