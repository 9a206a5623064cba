package io.shopstream.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.shopstream.pipeline.beam.Metrics;
import io.shopstream.pipeline.core.ingest.GroupIngest;
import io.shopstream.pipeline.core.parse.LineParser;
import io.shopstream.pipeline.core.store.JdbcConfig;
import io.shopstream.pipeline.core.store.Ledger;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult.Metadata;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.util.MimeTypes;

/**
 * Files with known content landed into a running pipeline, and the exact rows and error records
 * they must produce. Shared by the end-to-end tests on every runner and deployment.
 */
public final class LandingScenario {

  private static final String GOOD = "Clothing,19.99,view,2026-01-01T10:00:00Z";

  /** A group ingest's listener for tests that read no metrics. */
  public static final GroupIngest.Listener NO_METRICS =
      new GroupIngest.Listener() {
        @Override
        public void committed(Ledger.Entry entry) {}

        @Override
        public void retrying() {}

        @Override
        public void transaction(long writeMillis, long commitMillis) {}
      };

  private static final String HEADER = String.join(",", LineParser.COLUMNS);

  /**
   * 19 lines = 7 stored + 2 duplicates + 5 skipped + 5 errors (one of them refused by PostgreSQL),
   * in 5 files.
   */
  public static final Map<String, Long> EXPECTED_METRICS =
      Map.of(
          Metrics.LINES, 19L,
          Metrics.STORED, 7L,
          Metrics.DUPLICATES, 2L,
          Metrics.SKIPPED, 5L,
          Metrics.ERRORS, 5L,
          Metrics.FILES, 5L);

  private LandingScenario() {}

  /** Lands the files, waiting for the first ones to be stored before landing the last. */
  public static void land(Path in, JdbcConfig database) throws Exception {
    land(in.toString(), database);
  }

  /** The same into any folder Beam's file systems reach (s3://, hdfs://). */
  public static void land(String in, JdbcConfig database) throws Exception {
    land(
        in,
        "a.csv",
        HEADER,
        "e1,u1,p1,\"Shoes, red\"," + GOOD,
        "e2,u2,p2,Mug,Home,5,purchase,2026-01-01T11:00:00+01:00",
        "e3,u1,p3,Pen,Office,0.5,add_to_cart,2026-01-01T10:00:00");
    land(
        in,
        "b.csv",
        "e4,u3,p1,Shoes," + GOOD + "\r",
        "e4,u9,p9,Later copy," + GOOD,
        "",
        HEADER,
        "e5,u3,p1,Shoes,Clothing,-1,view,2026-01-01T10:00:00Z",
        "e6,u3,p1,\"Shoes,Clothing,19.99,view,2026-01-01T10:00:00Z",
        "e7,u3,p1,Shoes," + GOOD);
    land( // columns by the header's names, an extra one ignored
        in,
        "d.csv",
        "User_Id, event_id,coupon,product_id,product_name,category,price,event_type,timestamp",
        "u5,e10,SAVE10,p1,Shoes," + GOOD);
    land( // a header without user_id: nothing of the file is stored
        in,
        "e.csv",
        "event_id,product_id,product_name,category,price,event_type,timestamp",
        "e11,p1,Shoes," + GOOD);
    for (String ignored : List.of(".hidden.csv", "_partial.csv", "notes.txt")) {
      land(in, ignored, "x1,u1,p1,Shoes," + GOOD);
    }
    awaitTrue(() -> storedRows(database) == 6, "first files stored");
    land(
        in,
        "c.csv",
        "e1,u1,p1,Copy in a later window," + GOOD,
        "e8,u4,p2,Mug,Home,5,view,2026-01-01T10:00:00.250Z",
        "too,few,fields",
        // A valid ISO-8601 instant beyond PostgreSQL's timestamptz range: DB_REJECTED.
        "e9,u4,p2,Mug,Home,5,view,+294277-01-01T00:00:00Z");
  }

  /** Waits for, then checks, the exact rows and error records. */
  public static void assertOutcome(JdbcConfig database, Path errors) throws Exception {
    assertOutcome(database, errors.toString());
  }

  /** The same with the error folder on any of Beam's file systems. */
  public static void assertOutcome(JdbcConfig database, String errors) throws Exception {
    awaitTrue(() -> storedRows(database) == 7, "all events stored");
    assertEquals(
        List.of(
            List.of("e1", "a.csv", "2", "Shoes, red", "19.99", "2026-01-01 10:00:00"),
            List.of("e10", "d.csv", "2", "Shoes", "19.99", "2026-01-01 10:00:00"),
            List.of("e2", "a.csv", "3", "Mug", "5.00", "2026-01-01 10:00:00"),
            List.of("e3", "a.csv", "4", "Pen", "0.50", "2026-01-01 10:00:00"),
            List.of("e4", "b.csv", "1", "Shoes", "19.99", "2026-01-01 10:00:00"),
            List.of("e7", "b.csv", "7", "Shoes", "19.99", "2026-01-01 10:00:00"),
            List.of("e8", "c.csv", "2", "Mug", "5.00", "2026-01-01 10:00:00.25")),
        TestDatabase.query(
            database,
            "SELECT event_id, regexp_replace(source_file, '^.*/', ''), source_line, product_name,"
                + " price, (event_time AT TIME ZONE 'UTC')::text FROM user_events"
                + " ORDER BY event_id"));

    awaitTrue(() -> errorRecords(errors).size() == 5, "five error records");
    List<String> reported = new ArrayList<>();
    for (JsonNode e : errorRecords(errors)) {
      reported.add(
          Path.of(e.get("source").asText()).getFileName()
              + ":"
              + e.get("line").asInt()
              + ":"
              + e.get("reason").asText());
      assertTrue(e.get("message").asText().length() > 5);
      assertTrue(e.get("raw").asText().matches("^(e5|e6|e9|e11|too),.*"), e.toString());
      assertTrue(e.get("detected_at").asText().startsWith("20"));
    }
    reported.sort(null);
    assertEquals(
        List.of(
            "b.csv:5:BAD_PRICE",
            "b.csv:6:MALFORMED_CSV",
            "c.csv:3:FIELD_COUNT",
            "c.csv:4:DB_REJECTED",
            "e.csv:2:HEADER_MISMATCH"),
        reported);
    assertEquals(
        List.of(
            List.of("a.csv", "4", "3", "0", "1", "0", "{}"),
            List.of("b.csv", "7", "2", "1", "2", "2", "{\"BAD_PRICE\": 1, \"MALFORMED_CSV\": 1}"),
            List.of("c.csv", "4", "1", "1", "0", "2", "{\"DB_REJECTED\": 1, \"FIELD_COUNT\": 1}"),
            List.of("d.csv", "2", "1", "0", "1", "0", "{}"),
            List.of("e.csv", "2", "0", "0", "1", "1", "{\"HEADER_MISMATCH\": 1}")),
        TestDatabase.query(
            database,
            "SELECT regexp_replace(path, '^.*/', ''), lines, stored, duplicates, skipped, errors,"
                + " errors_by_reason::text FROM ingested_files ORDER BY path"));
    // One error file per version with errors, named in its ledger row, and nothing else.
    assertEquals(
        TestDatabase.query(
                database,
                "SELECT error_file FROM ingested_files WHERE error_file IS NOT NULL ORDER BY 1")
            .stream()
            .map(row -> row.get(0))
            .toList(),
        files(errors, "*").stream().map(f -> f.resourceId().toString()).sorted().toList());
    assertWindowsMatchEvents(database);
  }

  /** {@code event_stats_minute} holds exactly the one-minute windows of the stored rows. */
  public static void assertWindowsMatchEvents(JdbcConfig database) throws Exception {
    assertEquals(
        TestDatabase.query(
            database,
            "SELECT date_bin('1 minute', event_time, timestamptz 'epoch'), category, event_type,"
                + " count(*), sum(price) FROM user_events GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"),
        TestDatabase.query(
            database,
            "SELECT minute, category, event_type, events, revenue FROM event_stats_minute"
                + " ORDER BY 1, 2, 3"));
  }

  /** The file versions the ledger has committed. */
  public static long committedFiles(JdbcConfig database) throws Exception {
    return TestDatabase.count(database, "SELECT count(*) FROM ingested_files");
  }

  public static long storedRows(JdbcConfig database) throws Exception {
    return TestDatabase.count(database, "SELECT count(*) FROM user_events");
  }

  /** Lands a file as writers should: written under a hidden name, then renamed. */
  public static Path land(Path folder, String name, String... lines) throws IOException {
    Path temp = folder.resolve(".landing-" + name);
    Files.write(temp, content(lines));
    return Files.move(temp, folder.resolve(name), StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * Lands a file in a folder of any Beam file system. A local folder gets a hidden name and a
   * rename; an object store writes the object itself, which it lists only once complete.
   */
  public static void land(String folder, String name, String... lines) throws IOException {
    if (!folder.contains("://")) {
      land(Path.of(folder), name, lines);
      return;
    }
    ResourceId file =
        FileSystems.matchNewResource(folder, true)
            .resolve(name, StandardResolveOptions.RESOLVE_FILE);
    try (WritableByteChannel out = FileSystems.create(file, MimeTypes.TEXT)) {
      out.write(ByteBuffer.wrap(content(lines)));
    }
  }

  private static byte[] content(String... lines) {
    return (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
  }

  public static List<JsonNode> errorRecords(Path folder) throws IOException {
    return errorRecords(folder.toString());
  }

  public static List<JsonNode> errorRecords(String folder) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> records = new ArrayList<>();
    for (Metadata file : files(folder, "*.jsonl")) {
      try (BufferedReader in =
          new BufferedReader(
              Channels.newReader(FileSystems.open(file.resourceId()), StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          records.add(json.readTree(line));
        }
      }
    }
    return records;
  }

  /** Error records by {@code source:line}, with their reason codes; fails on a line twice. */
  public static Map<String, String> reasonsByLine(List<JsonNode> records) {
    Map<String, String> reasons = new java.util.HashMap<>();
    for (JsonNode e : records) {
      String line = e.get("source").asText() + ":" + e.get("line").asInt();
      assertEquals(null, reasons.put(line, e.get("reason").asText()), "written twice: " + e);
    }
    return reasons;
  }

  /** The files in the folder matching the glob, on any of Beam's file systems. */
  private static List<Metadata> files(String folder, String glob) throws IOException {
    return FileSystems.match(
            folder.replaceAll("/+$", "") + "/" + glob, EmptyMatchTreatment.ALLOW_IF_WILDCARD)
        .metadata();
  }

  /** Polls until the condition holds; fails after three minutes. */
  public static void awaitTrue(Callable<Boolean> condition, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (!condition.call()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for: " + what);
      TimeUnit.MILLISECONDS.sleep(200);
    }
  }
}
