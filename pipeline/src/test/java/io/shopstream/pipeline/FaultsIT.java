package io.shopstream.pipeline;

import static io.shopstream.pipeline.LandingScenario.awaitTrue;
import static io.shopstream.pipeline.LandingScenario.committedFiles;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shopstream.pipeline.core.store.JdbcConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The faults production brings, injected for real into a running pipeline (the bundled jar in its
 * own JVM): a power cut after commit (LazyFS), a database host that vanishes without closing its
 * connections (a proxy that freezes them), an error folder that fills up (a small tmpfs), an
 * archive folder on a file system that keeps no modification times (LazyFS), a crash between an
 * archive copy and the input's removal (a read-only input folder, then SIGKILL), PostgreSQL
 * restarted during COPYs, and files cut short or deleted while they are read. Each ends with the
 * same set check against what the generator wrote.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class FaultsIT {

  @TempDir(cleanup = CleanupMode.ON_SUCCESS) // a failed run keeps the pipelines' logs
  Path work;

  @RegisterExtension final FreshDatabase fresh = new FreshDatabase();

  private final Mounts mounts = new Mounts();
  private final List<JavaProcess> pipelines = new ArrayList<>();
  private JdbcConfig database;
  private Path in;

  @BeforeEach
  void databaseAndInputFolder() throws IOException {
    database = fresh.config();
    in = Files.createDirectories(work.resolve("raw"));
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (JavaProcess pipeline : pipelines) {
      pipeline.kill();
    }
    mounts.close();
  }

  @Test
  void aPowerCutAfterCommitKeepsEveryErrorRecordOfEveryCommittedVersion() throws Exception {
    Mounts.assumeLazyFs("FaultsIT power cut");
    Path errors = mounts.lazyFs(work.resolve("error"));
    List<Path> files = GeneratedFiles.generate(work.resolve("staging"), 6, 7);
    GeneratedFiles.land(files, in);
    JavaProcess pipeline = start("run", direct(database.url(), in, errors));
    awaitTrue(() -> committedFiles(database) == files.size(), "every file committed");
    pipeline.kill();
    mounts.powerCut();
    GeneratedFiles.assertIngestedExactly(database, errors, files, in);
  }

  /**
   * The host stops answering on every connection, open or new, and later answers new ones only (a
   * failover): the pipeline notices within its timeout, says so on {@code /health}, and stores
   * everything over new connections.
   */
  @Test
  void aDatabaseHostThatVanishesIsNoticedAndWorkResumesOnNewConnections() throws Exception {
    Path errors = Files.createDirectories(work.resolve("error"));
    List<Path> files = GeneratedFiles.generate(work.resolve("staging"), 12, 5000, 11);
    int statusPort = Ports.free();
    try (TcpProxy proxy = proxy()) {
      start("run", direct(viaProxy(proxy), in, errors, statusPort));
      GeneratedFiles.land(files, in);
      awaitTrue(() -> committedFiles(database) >= 1, "a file committed");
      TestDatabase.awaitWrite(database);
      proxy.freeze();
      long frozenAt = System.nanoTime();
      awaitTrue(() -> health(statusPort) == 503, "/health says the database does not answer");
      proxy.thaw();
      awaitWithin(
          frozenAt,
          2,
          () -> committedFiles(database) == files.size(),
          "all files committed in 2 min");
      awaitTrue(() -> health(statusPort) == 200, "/health well again");
    }
    GeneratedFiles.assertIngestedExactly(database, errors, files, in);
  }

  @Test
  void anErrorFolderThatFillsUpHoldsCommitsBackUntilThereIsRoomAgain() throws Exception {
    Mounts.assumeRoot("FaultsIT full error folder");
    Path errors = mounts.tmpfs(work.resolve("error"), 1 << 20);
    Path filler = fill(errors.resolve("filler"));
    List<Path> files = GeneratedFiles.generate(work.resolve("staging"), 6, 7);
    GeneratedFiles.land(files, in);
    JavaProcess pipeline = start("run", direct(database.url(), in, errors));
    awaitTrue(
        () -> Files.readString(pipeline.log).contains("No space left on device"),
        "a write of error records failing for want of space");
    assertEquals(0, committedFiles(database), "nothing committed without its error records");
    Files.delete(filler);
    awaitTrue(() -> committedFiles(database) == files.size(), "every file committed");
    GeneratedFiles.assertIngestedExactly(database, errors, files, in);
  }

  /**
   * The archive folder keeps no modification time of a file copied onto it: archiving copies, and
   * nothing ever comes back into the input folder as a new version.
   */
  @Test
  void archivingOntoAFileSystemWithoutModificationTimesNeitherLoopsNorLoses() throws Exception {
    Mounts.assumeLazyFs("FaultsIT archive onto LazyFS");
    Path errors = Files.createDirectories(work.resolve("error"));
    Path archive = mounts.lazyFs(work.resolve("archive"));
    List<Path> files = GeneratedFiles.generate(work.resolve("staging"), 6, 7);
    GeneratedFiles.land(files, in);
    start("run", archiving(errors, archive));
    awaitTrue(() -> names(in).isEmpty(), "the input folder emptied");
    assertArchivedWhole(files, archive);
    GeneratedFiles.assertIngestedExactly(database, errors, files, in);
  }

  /**
   * A crash after the archive copies and before the inputs are removed (the input folder is
   * read-only, then the pipeline is killed): the restart removes the inputs without a second copy
   * and without a new version.
   */
  @Test
  void aCrashBetweenArchiveCopyAndRemovalResumesWithoutASecondCopy() throws Exception {
    Mounts.assumeRoot("FaultsIT crash between archive copy and removal");
    Path errors = Files.createDirectories(work.resolve("error"));
    Path archive = mounts.tmpfs(work.resolve("archive"), 64 << 20); // another file system
    List<Path> files = GeneratedFiles.generate(work.resolve("staging"), 6, 7);
    GeneratedFiles.land(files, in);
    mounts.readOnly(in);
    List<String> args = archiving(errors, archive);
    JavaProcess first = start("run1", args);
    awaitTrue(
        () -> committedFiles(database) == files.size() && names(archive).size() == files.size(),
        "every file committed and copied, none removed");
    awaitTrue(
        () -> Files.readString(first.log).contains("Read-only file system"), "a removal refused");
    Map<String, Object> copies = fileKeys(archive);
    first.kill();
    mounts.writable(in);
    start("run2", args);
    awaitTrue(() -> names(in).isEmpty(), "the inputs removed after the restart");
    assertEquals(copies, fileKeys(archive), "the copies made before the crash, no second copy");
    assertArchivedWhole(files, archive);
    GeneratedFiles.assertIngestedExactly(database, errors, files, in);
  }

  /**
   * PostgreSQL restarts three times while COPYs run, as the pipeline sees it: every session ends
   * and connections are refused for a few seconds.
   */
  @ParameterizedTest
  @ValueSource(strings = {"DirectRunner", "SparkRunner"})
  void postgresRestartedDuringACopyLosesAndDuplicatesNothing(String runner) throws Exception {
    Path errors = Files.createDirectories(work.resolve("error"));
    List<Path> files = GeneratedFiles.generate(work.resolve("staging"), 6, 20_000, 5);
    try (TcpProxy proxy = proxy()) {
      List<String> args = new ArrayList<>(direct(viaProxy(proxy), in, errors));
      if (runner.equals("SparkRunner")) {
        args.set(0, "--runner=SparkRunner");
        args.add("--sparkMaster=local[2]");
        args.add("--checkpointDir=" + work.resolve("checkpoint"));
      }
      start("run", args);
      GeneratedFiles.land(files, in);
      for (int restart = 0; restart < 3 && committedFiles(database) < files.size(); restart++) {
        TestDatabase.awaitWrite(database);
        proxy.cut();
        TestDatabase.execute(
            database,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                + " WHERE datname = current_database() AND pid <> pg_backend_pid()");
        TimeUnit.SECONDS.sleep(3); // the server is down this long
        proxy.restore();
      }
      awaitTrue(() -> committedFiles(database) == files.size(), "every file committed");
    }
    GeneratedFiles.assertIngestedExactly(database, errors, files, in);
  }

  /**
   * A file cut short while it is read (a new version, read next) and a file deleted while it is
   * read (nothing of it stored or reported).
   */
  @Test
  void aFileTruncatedOrDeletedWhileItIsReadIsNeverHalfStored() throws Exception {
    Path errors = Files.createDirectories(work.resolve("error"));
    List<Path> big = GeneratedFiles.generate(work.resolve("big"), 2, 400_000, 3);
    List<Path> small = GeneratedFiles.generate(work.resolve("small"), 4, 13);
    start("run", direct(database.url(), in, errors));

    Path truncated = big.get(0);
    GeneratedFiles.land(truncated, in);
    TestDatabase.awaitWrite(database);
    int kept = 1000;
    try (FileChannel file = FileChannel.open(in.resolve(truncated.getFileName()), WRITE)) {
      file.truncate(endOfLine(truncated, kept));
    }
    awaitTrue(() -> committedFiles(database) == 1, "the truncated version committed");

    Path deleted = big.get(1);
    GeneratedFiles.land(deleted, in);
    TestDatabase.awaitWrite(database);
    Files.delete(in.resolve(deleted.getFileName()));
    GeneratedFiles.land(small, in);
    awaitTrue(() -> committedFiles(database) == 5, "the small files committed");

    List<Path> landed = new ArrayList<>(small);
    landed.add(0, truncated);
    GeneratedFiles.assertIngestedExactly(database, errors, landed, in, Map.of(truncated, kept));
    assertEquals(
        List.of(List.of("" + kept)),
        TestDatabase.query(
            database,
            "SELECT lines FROM ingested_files WHERE path LIKE '%" + truncated.getFileName() + "'"));
  }

  /** The byte offset just past the {@code n}th line of a file. */
  private static long endOfLine(Path file, int n) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    for (int i = 0, lines = 0; i < bytes.length; i++) {
      if (bytes[i] == '\n' && ++lines == n) {
        return i + 1;
      }
    }
    throw new IllegalArgumentException(file + " has fewer than " + n + " lines");
  }

  private JavaProcess start(String name, List<String> args) throws Exception {
    JavaProcess pipeline = JavaProcess.pipeline(work.resolve(name + ".log"), args);
    pipelines.add(pipeline);
    awaitTrue(
        () -> {
          assertTrue(
              pipeline.process.isAlive(), name + " exited: " + Files.readString(pipeline.log));
          return Files.readString(pipeline.log).contains("Watching");
        },
        name + " started");
    return pipeline;
  }

  private static List<String> direct(String jdbcUrl, Path in, Path errors) {
    return direct(jdbcUrl, in, errors, 0);
  }

  private static List<String> direct(String jdbcUrl, Path in, Path errors, int statusPort) {
    return List.of(
        "--runner=DirectRunner",
        "--enforceImmutability=false",
        "--enforceEncodability=false",
        "--statusPort=" + statusPort,
        "--inputDir=" + in,
        "--errorDir=" + errors,
        "--jdbcUrl=" + jdbcUrl);
  }

  private List<String> archiving(Path errors, Path archive) {
    List<String> args = new ArrayList<>(direct(database.url(), in, errors));
    args.add("--processedAction=archive");
    args.add("--archiveDir=" + archive);
    return args;
  }

  private TcpProxy proxy() throws IOException {
    URI server = URI.create(database.url().substring("jdbc:".length()));
    return new TcpProxy(server.getHost(), server.getPort());
  }

  private String viaProxy(TcpProxy proxy) {
    URI server = URI.create(database.url().substring("jdbc:".length()));
    return database.url().replace(":" + server.getPort() + "/", ":" + proxy.port() + "/");
  }

  private static int health(int port) {
    try {
      return HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException | InterruptedException e) {
      return -1;
    }
  }

  /** Polls until the condition holds; fails once {@code minutes} have passed since {@code t0}. */
  private static void awaitWithin(long t0, int minutes, Callable<Boolean> condition, String what)
      throws Exception {
    while (!condition.call()) {
      assertTrue(System.nanoTime() - t0 < TimeUnit.MINUTES.toNanos(minutes), "timed out: " + what);
      TimeUnit.MILLISECONDS.sleep(200);
    }
  }

  /** Fills the folder's file system: writes until there is no room left. */
  private static Path fill(Path filler) throws IOException {
    byte[] block = new byte[4096];
    try (OutputStream out = Files.newOutputStream(filler)) {
      while (true) {
        out.write(block);
      }
    } catch (IOException full) {
      assertTrue(full.getMessage().contains("No space left"), full.toString());
    }
    return filler;
  }

  /** Every file name in the folder, hidden ones included. */
  private static List<String> names(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }

  private static Map<String, Object> fileKeys(Path folder) throws IOException {
    Map<String, Object> keys = new TreeMap<>();
    for (String name : names(folder)) {
      keys.put(
          name, Files.readAttributes(folder.resolve(name), BasicFileAttributes.class).fileKey());
    }
    return keys;
  }

  /** The archive holds one whole copy of each file and nothing else. */
  private static void assertArchivedWhole(List<Path> files, Path archive) throws IOException {
    List<String> names = names(archive);
    assertEquals(files.size(), names.size(), "one copy per file, nothing else: " + names);
    for (Path file : files) {
      String stem = file.getFileName().toString().replace(".csv", ".");
      Path copy =
          archive.resolve(names.stream().filter(n -> n.startsWith(stem)).findFirst().orElseThrow());
      assertEquals(-1, Files.mismatch(file, copy), copy + " is a whole copy of " + file);
    }
  }
}
