package io.shopstream.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * File systems a fault test mounts for real: a small tmpfs (a disk that fills up), a read-only bind
 * mount (a disk turned read-only), LazyFS (a power cut: every write not fsynced is lost, and a file
 * copied onto it does not keep its modification time). Mounting needs root; LazyFS also needs
 * {@code /dev/fuse} and its binary, named by {@code SHOPSTREAM_LAZYFS} ({@code .ci/lazyfs/build.sh}
 * builds it; CI does). A test that cannot have them is skipped, saying why in one line.
 */
final class Mounts implements AutoCloseable {

  private static final String LAZYFS = System.getenv("SHOPSTREAM_LAZYFS");

  private final List<Path> mounted = new ArrayList<>();
  private final List<Process> daemons = new ArrayList<>();
  private Path lazyFifo;
  private Path lazyLog;

  /** Skips the test unless this process may mount file systems. */
  static void assumeRoot(String test) {
    skipUnless(
        "root".equals(System.getProperty("user.name")),
        test + " skipped: it mounts file systems, which needs root (CI runs it as root)");
  }

  /** Skips the test unless LazyFS can be mounted here. */
  static void assumeLazyFs(String test) {
    assumeRoot(test);
    skipUnless(
        LAZYFS != null && Files.isExecutable(Path.of(LAZYFS)) && Files.exists(Path.of("/dev/fuse")),
        test
            + " skipped: it needs LazyFS and /dev/fuse; build it with .ci/lazyfs/build.sh and set"
            + " SHOPSTREAM_LAZYFS to the path it prints (CI does)");
  }

  private static void skipUnless(boolean condition, String message) {
    if (!condition) {
      System.out.println(message);
    }
    Assumptions.assumeTrue(condition, message);
  }

  /** A tmpfs of {@code bytes} at {@code folder}. */
  Path tmpfs(Path folder, long bytes) throws Exception {
    Files.createDirectories(folder);
    run("mount", "-t", "tmpfs", "-o", "size=" + bytes, "tmpfs", folder.toString());
    mounted.add(folder);
    return folder;
  }

  /** Makes {@code folder} read-only (a bind mount of itself), until {@link #writable}. */
  void readOnly(Path folder) throws Exception {
    run("mount", "--bind", folder.toString(), folder.toString());
    mounted.add(folder);
    run("mount", "-o", "remount,ro,bind", folder.toString());
  }

  void writable(Path folder) throws Exception {
    run("umount", folder.toString());
    mounted.remove(folder);
  }

  /** LazyFS at {@code folder}, its data kept in {@code folder}'s sibling {@code .lazyfs-root}. */
  Path lazyFs(Path folder) throws Exception {
    Path work = Files.createDirectories(folder.resolveSibling(folder.getFileName() + ".lazyfs"));
    Path root = Files.createDirectories(work.resolve("root"));
    Files.createDirectories(folder);
    lazyFifo = work.resolve("fifo");
    Path config = work.resolve("config.toml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "[faults]",
            "fifo_path=\"" + lazyFifo + "\"",
            "[cache]",
            "apply_eviction=false",
            "[cache.simple]",
            "custom_size=\"128mb\"",
            "blocks_per_page=1",
            "[filesystem]",
            "log_all_operations=false",
            "logfile=\"\"",
            ""));
    Path log = work.resolve("lazyfs.log");
    lazyLog = log;
    daemons.add(
        new ProcessBuilder(
                LAZYFS,
                folder.toString(),
                "--config-path",
                config.toString(),
                "-o",
                "allow_other",
                "-o",
                "modules=subdir",
                "-o",
                "subdir=" + root,
                "-f")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start());
    mounted.add(folder);
    LandingScenario.awaitTrue(
        () ->
            Files.readString(Path.of("/proc/mounts")).contains(" " + folder + " ")
                && Files.readString(log).contains("running LazyFS"),
        "LazyFS mounted at " + folder);
    return folder;
  }

  /** The power cut: LazyFS forgets every write that was not fsynced. */
  void powerCut() throws Exception {
    Files.writeString(lazyFifo, "lazyfs::clear-cache\n");
    LandingScenario.awaitTrue(
        () -> Files.readString(lazyLog).contains("cache is cleared"), "LazyFS's power cut");
  }

  private static void run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    assertEquals(0, process.waitFor(), String.join(" ", command) + ": " + output);
  }

  @Override
  public void close() throws Exception {
    for (int i = mounted.size() - 1; i >= 0; i--) {
      Path folder = mounted.get(i);
      new ProcessBuilder("umount", "-l", folder.toString()).start().waitFor(30, TimeUnit.SECONDS);
    }
    for (Process daemon : daemons) {
      daemon.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }
}
