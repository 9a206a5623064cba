package io.shopstream.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.shopstream.generator.Generator;
import io.shopstream.pipeline.core.parse.Event;
import io.shopstream.pipeline.core.parse.FileLines;
import io.shopstream.pipeline.core.store.JdbcConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Files made by the generator in a staging folder, landed one by one into the input folder, and
 * what they must give, as the generator says it wrote them (its {@code --truthFile}).
 */
public final class GeneratedFiles {

  /** A valid event as the generator wrote it. */
  public record Event(String eventId, String category, String eventType, BigDecimal price) {}

  /**
   * What files landed in a folder must give: the first valid event of each id, and the error
   * records by {@code source:line} with their reason codes.
   */
  public record Expected(Map<String, Event> events, Map<String, String> errors, long lines) {
    public BigDecimal priceSum() {
      return events.values().stream().map(Event::price).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    public Map<String, Long> eventsByType() {
      return events.values().stream()
          .collect(Collectors.groupingBy(Event::eventType, Collectors.counting()));
    }
  }

  private GeneratedFiles() {}

  /** 2,000 lines per file with 1% invalid lines and 2% duplicates; sorted by name. */
  public static List<Path> generate(Path staging, int files, long seed) throws Exception {
    return generate(staging, files, 2000, seed);
  }

  /** The same, with more generator options ({@code --spreadDays 90}: a backfill's times). */
  public static List<Path> generate(
      Path staging, int files, int linesPerFile, long seed, String... more) throws Exception {
    StringWriter out = new StringWriter();
    Files.createDirectories(staging);
    List<String> args =
        new ArrayList<>(
            List.of(
                "--count",
                "" + files * linesPerFile,
                "--eventsPerFile",
                "" + linesPerFile,
                "--rate",
                "0",
                "--seed",
                "" + seed,
                "--invalidRate",
                "0.01",
                "--duplicateRate",
                "0.02",
                "--outputDir",
                staging.toString(),
                "--truthFile",
                truthFile(staging).toString()));
    args.addAll(List.of(more));
    assertEquals(
        0, Generator.execute(new PrintWriter(out), args.toArray(String[]::new)), out.toString());
    try (Stream<Path> listed = Files.list(staging)) {
      return listed
          .filter(f -> FileLines.isInputFormat(f.getFileName().toString()))
          .sorted()
          .toList();
    }
  }

  private static Path truthFile(Path staging) {
    return staging.resolveSibling(staging.getFileName() + ".truth.jsonl");
  }

  /** Lands a copy as writers should: a hidden name first, then a rename. */
  public static void land(Path file, Path folder) throws Exception {
    Path temp = folder.resolve("." + file.getFileName());
    Files.copy(file, temp);
    Files.move(temp, folder.resolve(file.getFileName()));
  }

  /** Lands copies of the files, one after the other. */
  public static void land(List<Path> files, Path folder) throws Exception {
    for (Path file : files) {
      land(file, folder);
    }
  }

  /** What these generated files, landed in {@code folder} in this order, must give. */
  public static Expected expected(List<Path> files, Path folder) throws Exception {
    return expected(files, folder, Map.of());
  }

  /** The same, with some files cut to their first lines ({@code keptLines} by file). */
  public static Expected expected(List<Path> files, Path folder, Map<Path, Integer> keptLines)
      throws Exception {
    Map<String, List<JsonNode>> truth = new HashMap<>();
    ObjectMapper json = new ObjectMapper();
    for (Path staging : files.stream().map(Path::getParent).distinct().toList()) {
      for (String line : Files.readAllLines(truthFile(staging))) {
        JsonNode node = json.readTree(line);
        truth.computeIfAbsent(node.get("file").asText(), f -> new ArrayList<>()).add(node);
      }
    }
    Map<String, Event> events = new HashMap<>();
    Map<String, String> errors = new HashMap<>();
    long lineCount = 0;
    Set<String> names = new HashSet<>();
    for (Path file : files) {
      String name = file.getFileName().toString();
      names.add(name);
      String source = folder.resolve(name).toString();
      List<JsonNode> lines = truth.get(name);
      List<JsonNode> kept = lines.subList(0, keptLines.getOrDefault(file, lines.size()));
      lineCount += kept.size();
      for (JsonNode line : kept) {
        switch (line.get("kind").asText()) {
          case "event" ->
              events.putIfAbsent(
                  line.get("event_id").asText(),
                  new Event(
                      line.get("event_id").asText(),
                      line.get("category").asText(),
                      line.get("event_type").asText(),
                      new BigDecimal(line.get("price").asText())));
          case "invalid" ->
              errors.put(source + ":" + line.get("line").asInt(), line.get("reason").asText());
          default -> {} // a header, or a duplicate of an event already expected
        }
      }
    }
    return new Expected(events, errors, lineCount);
  }

  /**
   * The set check of a fault test: every valid event of the landed files stored exactly once, every
   * invalid line exactly one error record with the generator's reason, one balanced ledger row per
   * file, and the minute windows equal to the aggregate of the stored rows.
   */
  public static void assertIngestedExactly(
      JdbcConfig database, Path errors, List<Path> files, Path in) throws Exception {
    assertIngestedExactly(database, errors, files, in, Map.of());
  }

  /** The same, with some files cut to their first lines ({@code keptLines} by file). */
  public static void assertIngestedExactly(
      JdbcConfig database, Path errors, List<Path> files, Path in, Map<Path, Integer> keptLines)
      throws Exception {
    Expected expected = expected(files, in, keptLines);
    assertEquals(
        new TreeSet<>(expected.events().keySet()),
        TestDatabase.query(database, "SELECT event_id FROM user_events").stream()
            .map(row -> row.get(0))
            .collect(Collectors.toCollection(TreeSet::new)),
        "every valid event stored, once");
    assertEquals(
        expected.priceSum().setScale(2).toString(),
        TestDatabase.query(database, "SELECT sum(price) FROM user_events").get(0).get(0));
    assertEquals(
        expected.errors(),
        LandingScenario.reasonsByLine(LandingScenario.errorRecords(errors)),
        "every invalid line one error record, with the reason the generator broke it for");
    assertEquals(
        List.of(
            List.of(
                "" + files.size(),
                "" + files.size(),
                "" + expected.lines(),
                "" + expected.errors().size(),
                "" + expected.events().size(),
                "0")),
        TestDatabase.query(
            database,
            "SELECT count(*), count(DISTINCT path), sum(lines), sum(errors), sum(stored),"
                + " count(*) FILTER (WHERE lines <> stored + duplicates + skipped + errors)"
                + " FROM ingested_files"),
        "one balanced ledger row per file: rows, paths, lines, errors, stored, unbalanced");
    LandingScenario.assertWindowsMatchEvents(database);
  }
}
