package io.shopstream.generator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 2, unit = TimeUnit.MINUTES)
class GeneratorTest {

  @TempDir Path dir;

  private static String run(String... args) {
    StringWriter out = new StringWriter();
    int code = Generator.execute(new PrintWriter(out, true), args);
    assertEquals(0, code, out.toString());
    return out.toString();
  }

  private static List<Path> csvFiles(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".csv")).sorted().toList();
    }
  }

  @Test
  void sameSeedGivesByteIdenticalFiles() throws IOException {
    Path a = dir.resolve("a");
    Path b = dir.resolve("b");
    run("--count", "1000", "--seed", "7", "--rate", "0", "--outputDir", a.toString());
    run("--count", "1000", "--seed", "7", "--rate", "0", "--outputDir", b.toString());

    List<Path> filesA = csvFiles(a);
    List<Path> filesB = csvFiles(b);
    assertEquals(
        filesA.stream().map(Path::getFileName).toList(),
        filesB.stream().map(Path::getFileName).toList());
    for (int i = 0; i < filesA.size(); i++) {
      assertArrayEquals(Files.readAllBytes(filesA.get(i)), Files.readAllBytes(filesB.get(i)));
    }
    long lines = 0;
    for (Path file : filesA) {
      lines += Files.readAllLines(file).size() - 1;
    }
    assertEquals(1000, lines);
  }

  @Test
  void eventTypeMixAndCatalogueAreRealistic() throws IOException {
    run("--count", "100000", "--seed", "1", "--rate", "0", "--outputDir", dir.toString());

    Map<String, Integer> types = new HashMap<>();
    Map<String, String> productById = new HashMap<>();
    Set<String> categories = new HashSet<>();
    Set<String> eventIds = new HashSet<>();
    for (Path file : csvFiles(dir)) {
      List<String> lines = Files.readAllLines(file);
      assertEquals(CsvLines.HEADER, lines.get(0));
      for (String line : lines.subList(1, lines.size())) {
        String[] f = parse(line);
        assertEquals(8, f.length, line);
        types.merge(f[6], 1, Integer::sum);
        categories.add(f[4]);
        eventIds.add(f[0]);
        String product = f[3] + "|" + f[4] + "|" + f[5];
        assertEquals(product, productById.computeIfAbsent(f[2], k -> product), "product " + f[2]);
      }
    }
    assertEquals(100_000, eventIds.size(), "unique event ids");
    assertEquals(5, categories.size());
    assertEquals(0.60, types.get("view") / 100_000.0, 0.02);
    assertEquals(0.30, types.get("add_to_cart") / 100_000.0, 0.02);
    assertEquals(0.10, types.get("purchase") / 100_000.0, 0.02);
  }

  @Test
  void faultInjectionWritesDuplicatesAndInvalidLines() throws IOException {
    String summary =
        run(
            "--count",
            "10000",
            "--seed",
            "3",
            "--rate",
            "0",
            "--invalidRate",
            "0.05",
            "--duplicateRate",
            "0.05",
            "--outputDir",
            dir.toString());

    Map<String, Integer> seen = new HashMap<>();
    int invalid = 0;
    for (Path file : csvFiles(dir)) {
      List<String> lines = Files.readAllLines(file);
      for (String line : lines.subList(1, lines.size())) {
        if (line.endsWith(",\"unclosed")) { // an open quote: no CSV parser reads it
          invalid++;
          continue;
        }
        String[] f = parse(line);
        boolean valid =
            f.length == 8
                && f[5].matches("\\d+(\\.\\d{1,2})?")
                && List.of("view", "add_to_cart", "purchase").contains(f[6])
                && f[7].endsWith("Z")
                && !f[1].isEmpty()
                && f[2].length() <= 64
                && !f[4].contains("\u0007");
        if (valid) {
          seen.merge(f[0], 1, Integer::sum);
        } else {
          invalid++;
        }
      }
    }
    int duplicates = seen.values().stream().mapToInt(n -> n - 1).sum();
    assertTrue(summary.contains(invalid + " invalid"), summary + " vs " + invalid);
    assertTrue(summary.contains(duplicates + " duplicates"), summary + " vs " + duplicates);
    assertEquals(500, invalid, 100);
    assertEquals(500, duplicates, 100);
  }

  @Test
  void readersNeverSeePartialFiles() throws Exception {
    CompletableFuture<String> writing =
        CompletableFuture.supplyAsync(
            () ->
                run(
                    "--count",
                    "400000",
                    "--rate",
                    "0",
                    "--eventsPerFile",
                    "2000",
                    "--outputDir",
                    dir.toString()));
    int checkedWhileWriting = 0;
    Set<Path> checked = new HashSet<>();
    while (!writing.isDone()) {
      for (Path file : csvFiles(dir)) {
        if (checked.add(file)) {
          byte[] bytes = Files.readAllBytes(file);
          String text = new String(bytes, StandardCharsets.UTF_8);
          assertTrue(text.endsWith("\n"), file + " ends mid-line");
          assertEquals(2001, text.split("\n", -1).length - 1, file + " line count");
          checkedWhileWriting++;
        }
      }
    }
    writing.get();
    assertTrue(checkedWhileWriting > 0, "no file was read while the generator was writing");
    assertEquals(200, csvFiles(dir).size());
  }

  @Test
  void invalidOptionsStopWithOneLineNamingTheOption() {
    for (String[] args :
        List.of(
            new String[] {"--rate", "-1"},
            new String[] {"--bogus"},
            new String[] {"--count", "many"},
            new String[] {"--invalidRate", "2"})) {
      StringWriter out = new StringWriter();
      assertEquals(2, Generator.execute(new PrintWriter(out, true), args));
      String message = out.toString().strip();
      assertFalse(message.contains("\n"), message);
      assertTrue(message.contains(args[0]), message);
    }
  }

  @Test
  void sigtermLandsTheCurrentFileAndExitsZero() throws Exception {
    Process process =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                Generator.class.getName(),
                "--rate",
                "200",
                "--rollSeconds",
                "3600",
                "--outputDir",
                dir.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("console.log").toFile())
            .start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!hasTempFile() && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertTrue(hasTempFile(), "generator never started a file");
      process.destroy(); // SIGTERM
      assertTrue(process.waitFor(30, TimeUnit.SECONDS));
      String output = Files.readString(dir.resolve("console.log"));
      assertEquals(0, process.exitValue(), output);
      assertTrue(output.contains("generator: wrote"), output);
      assertFalse(hasTempFile(), "temp file left behind");
      List<Path> files = csvFiles(dir);
      assertEquals(1, files.size());
      String text = Files.readString(files.get(0));
      assertTrue(text.endsWith("\n"));
      for (String line : text.split("\n")) {
        assertEquals(8, parse(line).length, line);
      }
    } finally {
      process.destroyForcibly();
    }
  }

  @Test
  void spreadDaysScattersEventTimesOverTheDaysAndKeepsFileNamesByTheClock() throws IOException {
    run(
        "--count",
        "2000",
        "--seed",
        "3",
        "--rate",
        "0",
        "--spreadDays",
        "90",
        "--outputDir",
        dir.toString());
    Set<String> days = new HashSet<>();
    Instant first = Instant.parse("2026-01-01T00:00:00Z");
    for (Path file : csvFiles(dir)) {
      assertTrue(file.getFileName().toString().startsWith("events-20260101"), file.toString());
      List<String> lines = Files.readAllLines(file);
      for (String line : lines.subList(1, lines.size())) {
        Instant time = Instant.parse(parse(line)[7]);
        assertFalse(time.isBefore(first) || !time.isBefore(first.plus(Duration.ofDays(90))), line);
        days.add(time.toString().substring(0, 10));
      }
    }
    assertTrue(days.size() > 80, "event times fall on " + days.size() + " days of 90");
  }

  private boolean hasTempFile() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.anyMatch(p -> p.getFileName().toString().endsWith(".tmp"));
    }
  }

  /** Splits one line with an independent RFC 4180 parser. */
  private static String[] parse(String line) throws IOException {
    try (CSVParser parser = CSVParser.parse(line, CSVFormat.RFC4180)) {
      return parser.getRecords().get(0).values();
    }
  }
}
