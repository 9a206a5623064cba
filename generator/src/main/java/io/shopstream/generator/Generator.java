package io.shopstream.generator;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import sun.misc.Signal;

/**
 * Writes CSV files of simulated shop events into a folder, rate limited, one file per roll
 * interval. Each file is written under a hidden temporary name and renamed when complete, so a
 * reader never sees a partial file. SIGINT/SIGTERM land the current file and exit 0.
 */
@Command(
    name = "generator",
    mixinStandardHelpOptions = true,
    description = "Writes CSV (or JSON Lines) files of simulated e-commerce events into a folder.")
public final class Generator implements Callable<Integer> {

  private static final DateTimeFormatter FILE_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS'Z'").withZone(ZoneOffset.UTC);

  @Option(names = "--outputDir", description = "Folder the CSV files land in [${DEFAULT-VALUE}].")
  Path outputDir = Path.of("data", "raw");

  @Option(
      names = "--rate",
      description = "Events per second; 0 = as fast as possible [${DEFAULT-VALUE}].")
  double rate = 10;

  @Option(
      names = "--rollSeconds",
      description = "Start a new file every N seconds of event time [${DEFAULT-VALUE}].")
  double rollSeconds = 5;

  @Option(
      names = "--eventsPerFile",
      description = "Start a new file every N events (overrides --rollSeconds).")
  Integer eventsPerFile;

  @Option(
      names = "--count",
      description = "Stop after N lines (events, duplicates and invalid lines).")
  Long count;

  @Option(names = "--durationSeconds", description = "Stop after N seconds.")
  Double durationSeconds;

  @Option(names = "--seed", description = "Seed: the same seed and options give the same files.")
  Long seed;

  @Option(
      names = "--startTime",
      description =
          "Event time of the first event when --seed is given [${DEFAULT-VALUE}]; else now.")
  Instant startTime = Instant.parse("2026-01-01T00:00:00Z");

  @Option(
      names = "--spreadDays",
      description =
          "Event times at random over this many days from the first event's, as in a backfill;"
              + " without it they follow each other closely, as events arriving live do.")
  Double spreadDays;

  @Option(
      names = "--invalidRate",
      description = "Fraction of lines made invalid [${DEFAULT-VALUE}].")
  double invalidRate = 0;

  @Option(
      names = "--duplicateRate",
      description = "Fraction of lines repeating an earlier event [${DEFAULT-VALUE}].")
  double duplicateRate = 0;

  @Option(
      names = "--format",
      description = "csv (with a header) or jsonl (JSON Lines) [${DEFAULT-VALUE}].")
  Format format = Format.csv;

  @Option(names = "--users", description = "Number of simulated shoppers [${DEFAULT-VALUE}].")
  int users = 1000;

  @Option(
      names = "--truthFile",
      description =
          "Also write what each line is (header, event, duplicate or invalid with its reason code)"
              + " to this JSON Lines file: what a test expects the pipeline to make of the files.")
  Path truthFile;

  private final CountDownLatch stopRequested = new CountDownLatch(1);
  private int files;
  private final PrintWriter console;

  Generator(PrintWriter console) {
    this.console = console;
  }

  public static void main(String[] args) {
    int exitCode = execute(new PrintWriter(System.out, true), args);
    if (exitCode != 0) {
      System.exit(exitCode);
    }
  }

  /** Parses options and runs; returns the exit code. User mistakes get one line, no trace. */
  public static int execute(PrintWriter console, String... args) {
    Generator generator = new Generator(console);
    CommandLine commandLine = new CommandLine(generator).setOut(console);
    commandLine.setParameterExceptionHandler(
        (ParameterException e, String[] ignored) -> {
          console.println("generator: " + e.getMessage());
          return 2;
        });
    return commandLine.execute(args);
  }

  /** Asks a running generator to land its current file and stop. */
  void stop() {
    stopRequested.countDown();
  }

  @Override
  public Integer call() throws IOException, InterruptedException {
    validate();
    Files.createDirectories(outputDir);
    Signal.handle(new Signal("INT"), s -> stop());
    Signal.handle(new Signal("TERM"), s -> stop());
    Random random = seed == null ? new Random() : new Random(seed);
    long wallStart = System.nanoTime();
    LineMaker maker;
    try (Truth truth = Truth.open(truthFile)) {
      maker = new LineMaker(random, users, truth, duplicateRate, invalidRate, format);
      write(maker, truth, random, String.format("%08x", random.nextInt()), wallStart);
    }
    long lines = maker.lines();
    double seconds = (System.nanoTime() - wallStart) / 1e9;
    console.printf(
        "generator: wrote %d lines (%d valid events, %d duplicates, %d invalid) in %d files to %s"
            + " in %.1f s (%.0f lines/s)%n",
        lines,
        maker.valid,
        maker.duplicates,
        maker.invalid,
        files,
        outputDir,
        seconds,
        lines / Math.max(seconds, 1e-9));
    console.printf(
        "generator: valid events by type %s, prices summing to %s%n",
        maker.validByType, maker.validPrices.setScale(2));
    return 0;
  }

  /** Writes lines, rate limited, into files rolled as asked. */
  private void write(LineMaker maker, Truth truth, Random random, String runId, long wallStart)
      throws IOException, InterruptedException {
    long firstEventMillis = seed == null ? System.currentTimeMillis() : startTime.toEpochMilli();
    double millisPerEvent = rate > 0 ? 1000.0 / rate : 1;
    long deadline =
        durationSeconds == null ? Long.MAX_VALUE : wallStart + (long) (durationSeconds * 1e9);
    long lines = 0;
    OpenFile file = null;
    while ((count == null || lines < count) && System.nanoTime() < deadline) {
      if (rate > 0 && waitForStop(wallStart + (long) (lines * 1e9 / rate) - System.nanoTime())) {
        break;
      }
      if (stopRequested.getCount() == 0) {
        break;
      }
      // Files are named and rolled by the stream's own clock; a spread moves only event times.
      long clockMillis = firstEventMillis + (long) (lines * millisPerEvent);
      long eventMillis =
          spreadDays == null
              ? clockMillis
              : firstEventMillis + (long) (random.nextDouble() * spreadDays * 86_400_000);
      if (file == null) {
        file = new OpenFile(outputDir, clockMillis, runId, ++files, format);
        if (format.header() != null) {
          truth.header(file.target);
        }
      }
      file.write(maker.next(file.target, eventMillis));
      lines++;
      long nextEventMillis = firstEventMillis + (long) (lines * millisPerEvent);
      if (eventsPerFile != null
          ? file.lines >= eventsPerFile
          : nextEventMillis - file.firstEventMillis >= rollSeconds * 1000) {
        file.land();
        file = null;
      }
    }
    if (file != null) {
      file.land();
    }
  }

  private void validate() {
    CommandLine cmd = new CommandLine(this);
    require(rate >= 0, cmd, "--rate must be >= 0, got " + rate);
    require(rollSeconds > 0, cmd, "--rollSeconds must be > 0, got " + rollSeconds);
    require(eventsPerFile == null || eventsPerFile > 0, cmd, "--eventsPerFile must be > 0");
    require(count == null || count > 0, cmd, "--count must be > 0");
    require(durationSeconds == null || durationSeconds > 0, cmd, "--durationSeconds must be > 0");
    require(invalidRate >= 0 && invalidRate <= 1, cmd, "--invalidRate must be in [0, 1]");
    require(duplicateRate >= 0 && duplicateRate <= 1, cmd, "--duplicateRate must be in [0, 1]");
    require(invalidRate + duplicateRate <= 1, cmd, "--invalidRate + --duplicateRate must be <= 1");
    require(users > 0, cmd, "--users must be > 0");
    require(spreadDays == null || spreadDays > 0, cmd, "--spreadDays must be > 0");
  }

  private static void require(boolean ok, CommandLine cmd, String message) {
    if (!ok) {
      throw new ParameterException(cmd, message);
    }
  }

  /** Waits up to the given time; true when a stop was requested meanwhile. */
  private boolean waitForStop(long nanos) throws InterruptedException {
    return nanos > 1_000_000 && stopRequested.await(nanos, TimeUnit.NANOSECONDS);
  }

  /** A file being written under a hidden name; {@link #land()} renames it into view. */
  private static final class OpenFile {
    final Path temp;
    final Path target;
    final long firstEventMillis;
    final BufferedWriter writer;
    long lines;

    OpenFile(Path dir, long firstEventMillis, String runId, int sequence, Format format)
        throws IOException {
      String name =
          String.format(
              "events-%s-%s-%05d%s",
              FILE_TIME.format(Instant.ofEpochMilli(firstEventMillis)),
              runId,
              sequence,
              format.ending());
      this.target = dir.resolve(name);
      this.temp = dir.resolve("." + name + ".tmp");
      this.firstEventMillis = firstEventMillis;
      this.writer = Files.newBufferedWriter(temp, StandardCharsets.UTF_8);
      if (format.header() != null) {
        writer.write(format.header());
        writer.write('\n');
      }
    }

    void write(String line) throws IOException {
      writer.write(line);
      writer.write('\n');
      lines++;
    }

    void land() throws IOException {
      writer.close();
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    }
  }
}
