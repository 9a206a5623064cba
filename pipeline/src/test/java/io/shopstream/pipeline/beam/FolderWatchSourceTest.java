package io.shopstream.pipeline.beam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shopstream.pipeline.FreshDatabase;
import io.shopstream.pipeline.core.files.FileVersion;
import io.shopstream.pipeline.core.files.InputFolder;
import io.shopstream.pipeline.core.files.ProcessedFiles;
import io.shopstream.pipeline.core.files.VersionOrder;
import io.shopstream.pipeline.core.store.JdbcConfig;
import io.shopstream.pipeline.core.store.Ledger;
import io.shopstream.pipeline.core.watch.Watcher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.io.UnboundedSource.UnboundedReader;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The watcher against a real folder and a real ledger. */
class FolderWatchSourceTest {

  @TempDir Path dir;
  @TempDir Path outside;
  @RegisterExtension final FreshDatabase fresh = new FreshDatabase();
  private JdbcConfig database;

  @BeforeEach
  void database() {
    database = fresh.config();
  }

  private FolderWatchSource source(long inFlightTimeoutMillis) {
    return source(inFlightTimeoutMillis, ProcessedFiles.KEEP);
  }

  private FolderWatchSource source(long inFlightTimeoutMillis, ProcessedFiles processed) {
    return source(
        new Watcher.Settings(0, inFlightTimeoutMillis, DIRECT_IDLE_WAIT, false), processed);
  }

  private FolderWatchSource source(Watcher.Settings settings, ProcessedFiles processed) {
    return new FolderWatchSource(new InputFolder(dir.toString()), database, processed, settings);
  }

  /** The DirectRunner's settings: no micro-batches, and a wait between idle calls. */
  private static final long DIRECT_IDLE_WAIT = 500;

  private UnboundedReader<List<FileVersion>> reader(
      FolderWatchSource source, FolderWatchSource.Mark mark) throws Exception {
    // Every mark goes through its coder, as it does between micro-batches and restarts.
    FolderWatchSource.Mark decoded =
        mark == null ? null : CoderUtils.clone(source.getCheckpointMarkCoder(), mark);
    return source.createReader(PipelineOptionsFactory.create(), decoded);
  }

  /** A reader as the SparkRunner makes one: micro-batches, each ended by taking its mark. */
  private UnboundedReader<List<FileVersion>> sparkReader(long pollMillis, long idleWaitMillis) {
    return source(
            new Watcher.Settings(pollMillis, 60_000, idleWaitMillis, true), ProcessedFiles.KEEP)
        .createReader(PipelineOptionsFactory.create(), null);
  }

  private static List<String> readAll(UnboundedReader<List<FileVersion>> reader)
      throws IOException {
    List<String> names = new ArrayList<>();
    boolean available = reader.start();
    while (available) {
      reader.getCurrent().forEach(version -> names.add(version.name()));
      available = reader.advance();
    }
    return names;
  }

  private Path land(String name, String content, long modifiedMillis) throws IOException {
    Path file = Files.writeString(dir.resolve(name), content);
    Files.setLastModifiedTime(file, FileTime.fromMillis(modifiedMillis));
    return file;
  }

  private void commit(Path file) throws Exception {
    FileVersion version = InputFolder.current(file.toString()).orElseThrow();
    try (Connection c = database.connect()) {
      Ledger.record(c, List.of(nothingRead(version)), "test");
    }
  }

  private static Ledger.Entry nothingRead(FileVersion version) {
    return new Ledger.Entry(
        version, java.time.Instant.now(), new Ledger.Counts(0, 0, 0, 0, Map.of()), Map.of(), null);
  }

  @Test
  void emitsOnlyVisibleRegularCsvFilesInModificationOrder() throws Exception {
    long now = System.currentTimeMillis();
    land("b.csv", "x\n", now - 1000);
    land("a.csv", "x\n", now);
    land(".hidden.csv", "x\n", now);
    land("_partial.csv", "x\n", now);
    land("notes.txt", "x\n", now);
    Files.createDirectory(dir.resolve("folder.csv"));
    Path secret = Files.writeString(outside.resolve("secret.csv"), "x\n");
    Files.createSymbolicLink(dir.resolve("link.csv"), secret);
    Files.createSymbolicLink(dir.resolve("inside-link.csv"), dir.resolve("a.csv"));

    assertEquals(List.of("b.csv", "a.csv"), readAll(reader(source(60_000), null)));
  }

  @Test
  void everyVersionTheLedgerLacksIsEmittedWhateverItsAge() throws Exception {
    long now = System.currentTimeMillis();
    Path a = land("a.csv", "one\n", now - 5000);
    Path b = land("b.csv", "one\n", now - 4000);
    commit(a);
    commit(b);
    land("old.csv", "moved in\n", now - 365L * 24 * 3600 * 1000); // an old file moved in
    assertEquals(List.of("old.csv"), readAll(reader(source(60_000), null)));

    land("a.csv", "re-landed\n", now - 5000); // same name and time, other size
    Files.writeString(b, "two\n", java.nio.file.StandardOpenOption.APPEND); // grown in place
    assertEquals(List.of("old.csv", "a.csv", "b.csv"), readAll(reader(source(60_000), null)));
  }

  @Test
  void aVersionInFlightIsEmittedOnceUntilTheLedgerHasIt() throws Exception {
    FolderWatchSource source = source(60_000);
    Path a = land("a.csv", "x\n", System.currentTimeMillis());
    UnboundedReader<List<FileVersion>> first = reader(source, null);
    assertEquals(List.of("a.csv"), readAll(first));
    assertEquals(List.of(), readAll(first), "emitted again while in flight");

    // The DirectRunner re-creates readers from their marks: in this JVM, the mark is trusted.
    FolderWatchSource.Mark mark = (FolderWatchSource.Mark) first.getCheckpointMark();
    assertEquals(1, mark.inFlight().size());
    assertEquals(List.of(), readAll(reader(source, mark)));

    // A mark from another JVM (a restart) is not: what it held in flight may be lost.
    FolderWatchSource.Mark restored = new FolderWatchSource.Mark("earlier", mark.inFlight());
    assertEquals(List.of("a.csv"), readAll(reader(source, restored)));

    commit(a);
    UnboundedReader<List<FileVersion>> after = reader(source, mark);
    assertEquals(List.of(), readAll(after));
    assertTrue(((FolderWatchSource.Mark) after.getCheckpointMark()).inFlight().isEmpty());
  }

  @Test
  void onSparkNothingStaysInFlightPastTheMicroBatchThatEmittedIt() throws Exception {
    land("a.csv", "x\n", System.currentTimeMillis());
    UnboundedReader<List<FileVersion>> reader = sparkReader(0, 0);
    assertEquals(List.of("a.csv"), readAll(reader));
    assertEquals(List.of(), readAll(reader), "emitted twice in one micro-batch");

    // Spark takes the mark at the end of the batch's read; the next batch's read emits it again.
    assertTrue(((FolderWatchSource.Mark) reader.getCheckpointMark()).inFlight().isEmpty());
    assertEquals(List.of("a.csv"), readAll(reader), "uncommitted after its batch, not emitted");
  }

  @Test
  void aVersionInFlightTooLongIsEmittedAgain() throws Exception {
    land("a.csv", "x\n", System.currentTimeMillis());
    UnboundedReader<List<FileVersion>> reader = reader(source(0), null);
    assertTrue(reader.start());
    assertTrue(reader.advance(), "not emitted again");
    assertEquals("a.csv", reader.getCurrent().get(0).name());
  }

  @Test
  void everySplitIsHandedEveryVersionAndTheLedgerLockSharesThemOut() throws Exception {
    long now = System.currentTimeMillis();
    List<String> all = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      all.add(land("f" + i + ".csv", "x\n", now + i).getFileName().toString());
    }
    // Oldest first, split k of 3 starting k/3 of the way in, so that they work far apart.
    List<FolderWatchSource> splits = source(60_000).split(3, PipelineOptionsFactory.create());
    for (int k = 0; k < 3; k++) {
      List<String> expected = new ArrayList<>(all);
      Collections.rotate(expected, -k * 5 / 3);
      assertEquals(expected, readAll(reader(splits.get(k), null)));
    }
    FileVersion version = InputFolder.current(dir.resolve("f0.csv").toString()).orElseThrow();
    try (Connection first = database.connect();
        Connection second = database.connect()) {
      first.setAutoCommit(false);
      second.setAutoCommit(false);
      FileVersion other = InputFolder.current(dir.resolve("f1.csv").toString()).orElseThrow();
      assertEquals(List.of(version), Ledger.claim(first, List.of(version)));
      assertEquals(
          List.of(other),
          Ledger.claim(second, List.of(version, other)),
          "two readers ingest one version");
      Ledger.record(first, List.of(nothingRead(version)), "test");
      first.commit();
      assertEquals(List.of(version), Ledger.claim(second, List.of(version)));
      assertTrue(Ledger.committed(second, List.of(version)).contains(version));
      second.rollback();
    }
  }

  @Test
  void aCommittedFileLeftBehindByACrashIsArchivedNotReadAgain() throws Exception {
    Path archive = Files.createDirectories(outside.resolve("archive"));
    long now = System.currentTimeMillis();
    Path done = land("done.csv", "x\n", now);
    land("new.csv", "y\n", now + 1);
    commit(done); // as if the pipeline died between the commit and the move
    FileVersion version = new FileVersion(done.toString(), 2, now);
    ProcessedFiles archiving =
        new ProcessedFiles(ProcessedFiles.Action.archive, archive.toString());

    assertEquals(List.of("new.csv"), readAll(reader(source(60_000, archiving), null)));
    assertFalse(Files.exists(done));
    assertEquals("x\n", Files.readString(archive.resolve(ProcessedFiles.archivedName(version))));
    assertEquals("done." + now + "-2.csv", ProcessedFiles.archivedName(version));
  }

  @Test
  void aFileLandingIsFoundLongBeforeTheNextPoll() throws Exception {
    FolderWatchSource source =
        source(new Watcher.Settings(60_000, 60_000, DIRECT_IDLE_WAIT, false), ProcessedFiles.KEEP);
    UnboundedReader<List<FileVersion>> reader = reader(source, null);
    assertFalse(reader.start()); // the first listing: nothing yet; the next is a minute away
    Path hidden = Files.writeString(dir.resolve(".a.csv"), "x\n");
    Files.move(hidden, dir.resolve("a.csv"));
    long deadline = System.currentTimeMillis() + 10_000;
    while (!reader.advance()) {
      assertTrue(System.currentTimeMillis() < deadline, "a landed file was not found in 10 s");
    }
    assertEquals("a.csv", reader.getCurrent().get(0).name());
    reader.close();
  }

  @Test
  void aFolderKeepingCommittedFilesIsNotListedAgainWhileNothingLands() throws Exception {
    long now = System.currentTimeMillis();
    List<Ledger.Entry> kept = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      Path file = land("kept-" + i + ".csv", "x\n", now - 10_000 + i);
      kept.add(nothingRead(InputFolder.current(file.toString()).orElseThrow()));
    }
    try (Connection c = database.connect()) {
      Ledger.record(c, kept, "test");
    }
    Watcher watcher =
        new Watcher(
            new InputFolder(dir.toString()),
            database,
            ProcessedFiles.KEEP,
            new Watcher.Settings(0, 60_000, 0, false),
            0,
            1,
            Map.of());
    watcher.start();
    for (int i = 0; i < 20; i++) {
      assertEquals(null, watcher.next(), "a committed file handed out");
    }
    assertEquals(1, watcher.listings(), "listed again and again with nothing landing");

    Files.move(Files.writeString(dir.resolve(".new.csv"), "y\n"), dir.resolve("new.csv"));
    assertEquals(List.of("new.csv"), nextFound(watcher));
    Files.writeString(dir.resolve("kept-7.csv"), "rewritten in place\n");
    assertEquals(List.of("kept-7.csv"), nextFound(watcher));
    assertEquals(1, watcher.listings(), "listed whole to find a file the system told of");
    watcher.close();
  }

  private static List<String> nextFound(Watcher watcher) throws IOException {
    long deadline = System.currentTimeMillis() + 10_000;
    List<FileVersion> found;
    while ((found = watcher.next()) == null) {
      assertTrue(System.currentTimeMillis() < deadline, "a file that landed was not found in 10 s");
    }
    return found.stream().map(FileVersion::name).toList();
  }

  @Test
  void versionsFoundTogetherAreEmittedInBatchesOfAGroupEach() throws Exception {
    long now = System.currentTimeMillis();
    for (int i = 0; i < 3; i++) {
      land("small-" + i + ".csv", "x\n", now + i);
    }
    land("large.csv", "y".repeat((int) VersionOrder.GROUP_BYTES) + "\n", now + 3);
    land("last.csv", "z\n", now + 4);
    UnboundedReader<List<FileVersion>> reader = reader(source(60_000), null);
    List<List<String>> batches = new ArrayList<>();
    for (boolean more = reader.start(); more; more = reader.advance()) {
      batches.add(reader.getCurrent().stream().map(FileVersion::name).toList());
    }
    assertEquals(
        List.of(
            List.of("small-0.csv", "small-1.csv", "small-2.csv"),
            List.of("large.csv"),
            List.of("last.csv")),
        batches,
        "small files together, one larger than a group alone");
    assertEquals(List.of(), VersionOrder.groups(List.<Long>of(), n -> n));
    assertEquals(List.of(List.of(0L, 0L)), VersionOrder.groups(List.of(0L, 0L), n -> n));
  }

  @Test
  void onSparkEveryVersionOneListingFindsIsOneElement() throws Exception {
    long now = System.currentTimeMillis();
    land("b.csv", "x\n", now + 1);
    land("a.csv", "y".repeat((int) VersionOrder.GROUP_BYTES) + "\n", now);
    UnboundedReader<List<FileVersion>> reader = sparkReader(0, 0);
    assertTrue(reader.start());
    assertEquals(
        List.of("a.csv", "b.csv"), reader.getCurrent().stream().map(FileVersion::name).toList());
    assertFalse(reader.advance(), "a listing in more than one element");
  }

  @Test
  void anIdleSparkReaderHandsOnAFileLandedWhileItWaits() throws Exception {
    UnboundedReader<List<FileVersion>> reader = sparkReader(60_000, 250);
    assertFalse(reader.start(), "an empty folder");
    Thread lander =
        new Thread(
            () -> {
              try {
                Thread.sleep(100); // into the reader's wait
                land("a.csv", "x\n", System.currentTimeMillis());
              } catch (InterruptedException | IOException e) {
                throw new RuntimeException(e);
              }
            });
    lander.start();
    assertTrue(reader.advance(), "not handed on within the wait (the next poll is a minute away)");
    assertEquals("a.csv", reader.getCurrent().get(0).name());
    lander.join();
  }

  @Test
  void aSparkReaderHandsOnABurstOfFilesMovedInTogetherInOneListing() throws Exception {
    UnboundedReader<List<FileVersion>> reader = sparkReader(60_000, 250);
    assertFalse(reader.start(), "an empty folder");
    List<Path> staged = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      staged.add(Files.writeString(outside.resolve("f" + i + ".csv"), "x\n"));
    }
    Thread mover =
        new Thread(
            () -> {
              try {
                Thread.sleep(100); // into the reader's wait
                for (Path file : staged) { // as mv does: one rename after the other
                  Files.move(file, dir.resolve(file.getFileName()));
                }
              } catch (InterruptedException | IOException e) {
                throw new RuntimeException(e);
              }
            });
    mover.start();
    assertTrue(reader.advance(), "not handed on within the wait");
    // Every split is woken by the first rename; one that looked at once would take a few files
    // and leave the rest of the micro-batch to the others.
    assertEquals(20, reader.getCurrent().size(), "the listing of a split");
    mover.join();
  }
}
