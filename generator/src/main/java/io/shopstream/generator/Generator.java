package io.shopstream.generator;

import io.shopstream.generator.ShopperSimulation.Event;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
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
    description = "Writes CSV files of simulated e-commerce events into a folder.")
public final class Generator implements Callable<Integer> {

  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter FILE_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS'Z'").withZone(ZoneOffset.UTC);
  private static final int RECENT_LINES = 10_000;

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
      names = "--invalidRate",
      description = "Fraction of lines made invalid [${DEFAULT-VALUE}].")
  double invalidRate = 0;

  @Option(
      names = "--duplicateRate",
      description = "Fraction of lines repeating an earlier event [${DEFAULT-VALUE}].")
  double duplicateRate = 0;

  @Option(names = "--users", description = "Number of simulated shoppers [${DEFAULT-VALUE}].")
  int users = 1000;

  @Option(
      names = "--truthFile",
      description =
          "Also write what each line is (header, event, duplicate or invalid with its reason code)"
              + " to this JSON Lines file: what a test expects the pipeline to make of the files.")
  Path truthFile;

  private final CountDownLatch stopRequested = new CountDownLatch(1);
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
    ShopperSimulation shoppers = new ShopperSimulation(random, new Catalog(random, 40), users);
    FaultInjector faults = new FaultInjector(random);
    String runId = String.format("%08x", random.nextInt());
    long firstEventMillis = seed == null ? System.currentTimeMillis() : startTime.toEpochMilli();
    double millisPerEvent = rate > 0 ? 1000.0 / rate : 1;
    long wallStart = System.nanoTime();
    long deadline =
        durationSeconds == null ? Long.MAX_VALUE : wallStart + (long) (durationSeconds * 1e9);

    String[][] recent = new String[RECENT_LINES][];
    long lines = 0;
    long valid = 0;
    long duplicates = 0;
    // What the valid events add up to, for the benchmark's checks of what was stored.
    Map<String, Long> validByType = new TreeMap<>();
    BigDecimal validPrices = BigDecimal.ZERO;
    long invalid = 0;
    int files = 0;
    OpenFile file = null;
    try (Truth truth = Truth.open(truthFile)) {
      while ((count == null || lines < count) && System.nanoTime() < deadline) {
        if (rate > 0 && waitForStop(wallStart + (long) (lines * 1e9 / rate) - System.nanoTime())) {
          break;
        }
        if (stopRequested.getCount() == 0) {
          break;
        }
        long eventMillis = firstEventMillis + (long) (lines * millisPerEvent);
        if (file == null) {
          file = new OpenFile(outputDir, eventMillis, runId, ++files);
          truth.header(file.target);
        }
        String line;
        double roll = random.nextDouble();
        if (roll < duplicateRate && valid > 0) {
          String[] repeated = recent[random.nextInt((int) Math.min(valid, RECENT_LINES))];
          line = CsvLines.join(repeated);
          truth.duplicate(file.target, repeated);
          duplicates++;
        } else {
          String[] fields = fields(shoppers.next(eventMillis));
          if (roll >= duplicateRate && roll < duplicateRate + invalidRate) {
            FaultInjector.Fault fault = faults.corrupt(fields);
            line = fault.line();
            truth.invalid(file.target, fault.reason());
            invalid++;
          } else {
            line = CsvLines.join(fields);
            recent[(int) (valid++ % RECENT_LINES)] = fields;
            truth.event(file.target, fields);
            validByType.merge(fields[6], 1L, Long::sum);
            validPrices = validPrices.add(new BigDecimal(fields[5]));
          }
        }
        file.write(line);
        lines++;
        long nextEventMillis = firstEventMillis + (long) (lines * millisPerEvent);
        boolean full =
            eventsPerFile != null
                ? file.lines >= eventsPerFile
                : nextEventMillis - file.firstEventMillis >= rollSeconds * 1000;
        if (full) {
          file.land();
          file = null;
        }
      }
      if (file != null) {
        file.land();
      }
    }
    double seconds = (System.nanoTime() - wallStart) / 1e9;
    console.printf(
        "generator: wrote %d lines (%d valid events, %d duplicates, %d invalid) in %d files to %s"
            + " in %.1f s (%.0f lines/s)%n",
        lines,
        valid,
        duplicates,
        invalid,
        files,
        outputDir,
        seconds,
        lines / Math.max(seconds, 1e-9));
    console.printf(
        "generator: valid events by type %s, prices summing to %s%n",
        validByType, validPrices.setScale(2));
    return 0;
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

  private static String[] fields(Event e) {
    return new String[] {
      e.eventId(),
      e.userId(),
      e.product().id(),
      e.product().name(),
      e.product().category(),
      e.product().price().toPlainString(),
      e.eventType(),
      TIMESTAMP.format(Instant.ofEpochMilli(e.epochMillis()))
    };
  }

  /** A file being written under a hidden name; {@link #land()} renames it into view. */
  private static final class OpenFile {
    final Path temp;
    final Path target;
    final long firstEventMillis;
    final BufferedWriter writer;
    long lines;

    OpenFile(Path dir, long firstEventMillis, String runId, int sequence) throws IOException {
      String name =
          String.format(
              "events-%s-%s-%05d.csv",
              FILE_TIME.format(Instant.ofEpochMilli(firstEventMillis)), runId, sequence);
      this.target = dir.resolve(name);
      this.temp = dir.resolve("." + name + ".tmp");
      this.firstEventMillis = firstEventMillis;
      this.writer = Files.newBufferedWriter(temp, StandardCharsets.UTF_8);
      writer.write(CsvLines.HEADER);
      writer.write('\n');
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
