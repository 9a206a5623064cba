package io.shopstream.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.beam.sdk.PipelineResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole pipeline, streaming, on DirectRunner and on SparkRunner local[2], against a real
 * PostgreSQL: files land while it runs, and every line must end up in exactly one place.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class EndToEndTest {

  private static final String GOOD = "Clothing,19.99,view,2026-01-01T10:00:00Z";

  @TempDir Path work;
  private JdbcConfig database;
  private PipelineResult result;

  @BeforeAll
  static void keepSparkOnLoopback() {
    System.setProperty("spark.driver.host", "127.0.0.1");
    System.setProperty("spark.driver.bindAddress", "127.0.0.1");
    System.setProperty("spark.ui.enabled", "false");
  }

  @AfterEach
  void stop() throws Exception {
    if (result != null) {
      result.cancel();
    }
    if (database != null) {
      TestDatabase.drop(database);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"DirectRunner", "SparkRunner"})
  void everyLandedLineIsStoredCountedOrExplained(String runner) throws Exception {
    database = TestDatabase.create();
    Path in = Files.createDirectories(work.resolve("raw"));
    Path errors = Files.createDirectories(work.resolve("error"));
    ShopstreamOptions options =
        ShopstreamPipeline.parse(
            "--runner=" + runner,
            "--inputDir=" + in,
            "--errorDir=" + errors,
            "--jdbcUrl=" + database.url(),
            "--windowSeconds=2",
            "--sparkMaster=local[2]",
            "--checkpointDir=" + work.resolve("checkpoint"));
    result = ShopstreamPipeline.run(options);

    String header = String.join(",", LineParser.COLUMNS);
    land(
        in,
        "a.csv",
        header,
        "e1,u1,p1,\"Shoes, red\"," + GOOD,
        "e2,u2,p2,Mug,Home,5,purchase," + "2026-01-01T11:00:00+01:00",
        "e3,u1,p3,Pen,Office,0.5,add_to_cart,2026-01-01T10:00:00");
    land(
        in,
        "b.csv",
        "e4,u3,p1,Shoes," + GOOD + "\r",
        "e4,u9,p9,Later copy," + GOOD,
        "",
        header,
        "e5,u3,p1,Shoes,Clothing,-1,view,2026-01-01T10:00:00Z",
        "e6,u3,p1,\"Shoes,Clothing,19.99,view,2026-01-01T10:00:00Z",
        "e7,u3,p1,Shoes," + GOOD);
    for (String ignored : List.of(".hidden.csv", "_partial.csv", "notes.txt")) {
      land(in, ignored, "x1,u1,p1,Shoes," + GOOD);
    }
    awaitTrue(() -> count("SELECT count(*) FROM user_events") == 5, "first files stored");
    land(
        in,
        "c.csv",
        "e1,u1,p1,Copy in a later window," + GOOD,
        "e8,u4,p2,Mug,Home,5,view," + "2026-01-01T10:00:00.250Z",
        "too,few,fields");

    awaitTrue(() -> count("SELECT count(*) FROM user_events") == 6, "all events stored");
    assertEquals(
        List.of(
            List.of("e1", "a.csv", "2", "Shoes, red", "19.99", "2026-01-01 10:00:00"),
            List.of("e2", "a.csv", "3", "Mug", "5.00", "2026-01-01 10:00:00"),
            List.of("e3", "a.csv", "4", "Pen", "0.50", "2026-01-01 10:00:00"),
            List.of("e4", "b.csv", "1", "Shoes", "19.99", "2026-01-01 10:00:00"),
            List.of("e7", "b.csv", "7", "Shoes", "19.99", "2026-01-01 10:00:00"),
            List.of("e8", "c.csv", "2", "Mug", "5.00", "2026-01-01 10:00:00.25")),
        rows());

    awaitTrue(() -> errorRecords(errors).size() == 3, "three error records");
    List<String> reported = new ArrayList<>();
    for (JsonNode e : errorRecords(errors)) {
      reported.add(
          Path.of(e.get("source").asText()).getFileName()
              + ":"
              + e.get("line").asInt()
              + ":"
              + e.get("reason").asText());
      assertTrue(e.get("message").asText().length() > 5);
      assertTrue(e.get("raw").asText().startsWith("e") || e.get("raw").asText().startsWith("too"));
      assertTrue(e.get("detected_at").asText().startsWith("20"));
    }
    reported.sort(null);
    assertEquals(
        List.of("b.csv:5:BAD_PRICE", "b.csv:6:MALFORMED_CSV", "c.csv:3:FIELD_COUNT"), reported);

    // Every line in exactly one place: 14 lines = 6 stored + 2 duplicates + 3 skipped + 3 errors.
    awaitTrue(
        () -> {
          Map<String, Long> m = Progress.snapshot(result);
          return m.getOrDefault(Metrics.LINES, 0L) == 14
              && m.getOrDefault(Metrics.STORED, 0L) == 6
              && m.getOrDefault(Metrics.DUPLICATES, 0L) == 2
              && m.getOrDefault(Metrics.SKIPPED, 0L) == 3
              && m.getOrDefault(Metrics.ERRORS, 0L) == 3
              && m.getOrDefault(Metrics.FILES, 0L) == 3;
        },
        "metrics account for every line");
  }

  private List<List<String>> rows() throws SQLException {
    return TestDatabase.query(
        database,
        "SELECT event_id, regexp_replace(source_file, '^.*/', ''), source_line, product_name,"
            + " price, (event_time AT TIME ZONE 'UTC')::text FROM user_events ORDER BY event_id");
  }

  private long count(String sql) throws SQLException {
    return TestDatabase.count(database, sql);
  }

  /** Lands a file as writers should: written under a hidden name, then renamed. */
  private static void land(Path folder, String name, String... lines) throws IOException {
    Path temp = folder.resolve(".landing-" + name);
    Files.write(temp, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    Files.move(temp, folder.resolve(name));
  }

  private static List<JsonNode> errorRecords(Path folder) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> records = new ArrayList<>();
    try (Stream<Path> files = Files.list(folder)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".jsonl")).toList()) {
        for (String line : Files.readAllLines(file)) {
          records.add(json.readTree(line));
        }
      }
    }
    return records;
  }

  /** Polls until the condition holds; fails after two minutes. */
  private static void awaitTrue(Callable<Boolean> condition, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (!condition.call()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for: " + what);
      TimeUnit.MILLISECONDS.sleep(200);
    }
  }
}
