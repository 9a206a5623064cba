package io.shopstream.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.UnboundedSource.UnboundedReader;
import org.apache.beam.sdk.io.fs.MatchResult.Metadata;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FolderWatchSourceTest {

  @TempDir Path dir;

  private FolderWatchSource source(long settleMillis) {
    return new FolderWatchSource(dir + "/*.csv", 0, settleMillis);
  }

  private UnboundedReader<Metadata> reader(FolderWatchSource source, FolderWatchSource.Mark mark)
      throws Exception {
    // Every mark goes through its coder, as it does between micro-batches and restarts.
    FolderWatchSource.Mark decoded =
        mark == null ? null : CoderUtils.clone(source.getCheckpointMarkCoder(), mark);
    return source.createReader(PipelineOptionsFactory.create(), decoded);
  }

  private static List<String> readAll(UnboundedReader<Metadata> reader) throws IOException {
    List<String> names = new ArrayList<>();
    boolean available = reader.start();
    while (available) {
      names.add(reader.getCurrent().resourceId().getFilename());
      available = reader.advance();
    }
    return names;
  }

  private Path land(String name, long modifiedMillis) throws IOException {
    Path file = Files.writeString(dir.resolve(name), "x\n");
    Files.setLastModifiedTime(file, FileTime.fromMillis(modifiedMillis));
    return file;
  }

  @Test
  void emitsOnlyVisibleCsvFilesInModificationOrder() throws Exception {
    long now = System.currentTimeMillis();
    land("b.csv", now - 1000);
    land("a.csv", now);
    land(".hidden.csv", now);
    land("_partial.csv", now);
    land("notes.txt", now);
    Files.createDirectory(dir.resolve("folder.csv"));

    assertEquals(List.of("b.csv", "a.csv"), readAll(reader(source(60_000), null)));
  }

  @Test
  void aRestartFromTheMarkNeverEmitsAFileTwice() throws Exception {
    FolderWatchSource source = source(60_000);
    long now = System.currentTimeMillis();
    land("a.csv", now - 2000);
    land("b.csv", now - 1000);
    land("c.csv", now);

    UnboundedReader<Metadata> first = reader(source, null);
    assertTrue(first.start());
    assertEquals("a.csv", first.getCurrent().resourceId().getFilename());
    FolderWatchSource.Mark mark = (FolderWatchSource.Mark) first.getCheckpointMark();

    UnboundedReader<Metadata> second = reader(source, mark);
    assertEquals(List.of("b.csv", "c.csv"), readAll(second));
    FolderWatchSource.Mark afterAll = (FolderWatchSource.Mark) second.getCheckpointMark();

    land("d.csv", now);
    assertEquals(List.of("d.csv"), readAll(reader(source, afterAll)));
  }

  @Test
  void theMarkDoesNotGrowWithTheFilesEverRead() throws Exception {
    FolderWatchSource source = source(5_000);
    long start = System.currentTimeMillis() - 1_000_000;
    FolderWatchSource.Mark mark = null;
    for (int i = 0; i < 100; i++) {
      land(String.format("f%03d.csv", i), start + i * 10_000L);
      UnboundedReader<Metadata> reader = reader(source, mark);
      assertEquals(List.of(String.format("f%03d.csv", i)), readAll(reader));
      mark = (FolderWatchSource.Mark) reader.getCheckpointMark();
      assertTrue(mark.newer.size() <= 1, "mark holds " + mark.newer.keySet());
    }
    assertFalse(reader(source, mark).start(), "a file was emitted twice");
  }

  @Test
  void aFileLandingLateWithinTheSettleTimeIsStillRead() throws Exception {
    FolderWatchSource source = source(60_000);
    long now = System.currentTimeMillis();
    land("new.csv", now);
    UnboundedReader<Metadata> reader = reader(source, null);
    assertEquals(List.of("new.csv"), readAll(reader));
    FolderWatchSource.Mark mark = (FolderWatchSource.Mark) reader.getCheckpointMark();

    land("older.csv", now - 30_000); // written earlier, renamed into the folder just now
    assertEquals(List.of("older.csv"), readAll(reader(source, mark)));
  }

  @Test
  void splitsReadDisjointSetsOfFilesThatTogetherAreAll() throws Exception {
    long now = System.currentTimeMillis();
    List<String> all = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      all.add(land("f" + i + ".csv", now).getFileName().toString());
    }
    List<String> read = new ArrayList<>();
    for (FolderWatchSource split : source(60_000).split(3, PipelineOptionsFactory.create())) {
      List<String> names = readAll(reader(split, null));
      assertTrue(names.size() < all.size(), "one split read every file");
      read.addAll(names);
    }
    read.sort(null);
    all.sort(null);
    assertEquals(all, read);
  }
}
