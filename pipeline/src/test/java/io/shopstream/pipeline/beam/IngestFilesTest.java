package io.shopstream.pipeline.beam;

import static java.nio.file.StandardOpenOption.APPEND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.shopstream.pipeline.FreshDatabase;
import io.shopstream.pipeline.LandingScenario;
import io.shopstream.pipeline.TestDatabase;
import io.shopstream.pipeline.core.files.FileVersion;
import io.shopstream.pipeline.core.files.InputFolder;
import io.shopstream.pipeline.core.files.ProcessedFiles;
import io.shopstream.pipeline.core.ingest.GroupIngest;
import io.shopstream.pipeline.core.parse.ErrorRecord;
import io.shopstream.pipeline.core.parse.ExtraColumns;
import io.shopstream.pipeline.core.parse.LineParser;
import io.shopstream.pipeline.core.store.JdbcConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Reify;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** One transaction per file version, against a real PostgreSQL, on the DirectRunner. */
@ExtendWith(TestPipelineExtension.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class IngestFilesTest {

  private static final String HEADER = String.join(",", LineParser.COLUMNS);

  @RegisterExtension final FreshDatabase fresh = new FreshDatabase();
  @TempDir Path work;
  private Path in;
  private Path errors;
  private JdbcConfig database;

  @BeforeEach
  void folders() throws IOException {
    in = Files.createDirectories(work.resolve("raw"));
    errors = Files.createDirectories(work.resolve("error"));
    database = fresh.config();
  }

  private FileVersion write(String name, String... lines) throws IOException {
    Path file = in.resolve(name);
    Files.write(file, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    return InputFolder.current(file.toString()).orElseThrow();
  }

  private void ingest(TestPipeline pipeline, FileVersion... versions) {
    ingest(pipeline, ProcessedFiles.KEEP, versions);
  }

  private void ingest(TestPipeline pipeline, ProcessedFiles processed, FileVersion... versions) {
    pipeline
        .apply(
            Create.timestamped(
                    org.apache.beam.sdk.values.TimestampedValue.of(
                        List.of(versions), Instant.now()))
                .withCoder(FileVersionCoders.LIST))
        .apply(new IngestFiles(database, errors.toString(), processed, ExtraColumns.rescue));
    pipeline.run().waitUntilFinish();
  }

  /** The core's group ingest, without Beam: one group, as the watcher hands a listing over. */
  private void ingestAsOneBundle(FileVersion... versions) throws Exception {
    ingestAsOneBundle(GroupIngest.CHUNK_BYTES, versions);
  }

  private void ingestAsOneBundle(long chunkBytes, FileVersion... versions) throws Exception {
    GroupIngest ingest =
        new GroupIngest(
            database,
            errors.toString(),
            ProcessedFiles.KEEP,
            ExtraColumns.rescue,
            chunkBytes,
            LandingScenario.NO_METRICS);
    java.time.Instant now = java.time.Instant.now();
    ingest.ingest(Arrays.stream(versions).map(v -> new GroupIngest.Found(v, now)).toList());
  }

  /**
   * The transform's output: each version committed, once, stamped with when it was found; a version
   * handed twice, or no longer on disk, is not output again or at all.
   */
  @Test
  void outputsEachVersionCommittedOnceStampedWithWhenItWasFound(TestPipeline pipeline)
      throws Exception {
    FileVersion a = write("a.csv", "e1,u1,p1,Shoes,Clothing,1,view,2026-01-01T10:00:00Z");
    FileVersion b = write("b.csv", "e2,u1,p1,Shoes,Clothing,1,view,2026-01-01T10:00:00Z", "bad");
    FileVersion gone = new FileVersion(in.resolve("gone.csv").toString(), 10, 0);
    Instant found = new Instant(1_767_261_600_000L);
    PCollection<FileVersion> committed =
        pipeline
            .apply(
                Create.timestamped(TimestampedValue.of(List.of(a, gone, b, a), found))
                    .withCoder(FileVersionCoders.LIST))
            .apply(
                new IngestFiles(
                    database, errors.toString(), ProcessedFiles.KEEP, ExtraColumns.rescue));
    PAssert.that(committed.apply(Reify.timestamps()))
        .containsInAnyOrder(TimestampedValue.of(a, found), TimestampedValue.of(b, found));
    pipeline.run().waitUntilFinish();
    assertEquals(2, TestDatabase.count(database, "SELECT count(*) FROM ingested_files"));
  }

  private List<List<String>> ledger() throws SQLException {
    return TestDatabase.query(
        database,
        "SELECT regexp_replace(path, '^.*/', ''), lines, stored, duplicates, skipped, errors,"
            + " errors_by_reason::text, regexp_replace(error_file, '^.*/', '')"
            + " FROM ingested_files ORDER BY path");
  }

  @Test
  void aVersionCommitsItsRowsWindowsErrorsAndLedgerRowTogether(TestPipeline pipeline)
      throws Exception {
    TestDatabase.query(
        database,
        "INSERT INTO user_events (event_id, user_id, product_id, product_name, category, price,"
            + " event_type, event_time, source_file, source_line) VALUES ('e4', 'u', 'p', 'n',"
            + " 'c', 1, 'view', now(), '/earlier.csv', 1) RETURNING 1");
    FileVersion a =
        write(
            "a.csv",
            HEADER,
            "e1,u1,p1,\"Shoes, red\",Clothing,19.99,view,2026-01-01T10:00:30Z",
            "e2,u2,p2,Mug,Home,5,purchase,2026-01-01T11:00:59+01:00",
            "e1,u9,p9,Later copy,Clothing,1,view,2026-01-01T10:00:00Z",
            "e5,u3,p1,Shoes,Clothing,-1,view,2026-01-01T10:00:00Z",
            // A valid ISO-8601 instant beyond PostgreSQL's timestamptz range: DB_REJECTED.
            "e3,u4,p2,Mug,Home,5,view,+294277-01-01T00:00:00Z",
            "",
            "e4,u1,p1,Shoes,Clothing,19.99,view,2026-01-01T10:01:00Z");
    ingest(pipeline, a);

    assertEquals(
        List.of(
            List.of(
                "a.csv",
                "8",
                "2",
                "2",
                "2",
                "2",
                "{\"BAD_PRICE\": 1, \"DB_REJECTED\": 1}",
                a.errorFileName())),
        ledger());
    assertEquals(
        List.of(
            List.of("e1", "2", "Shoes, red", "19.99"),
            List.of("e2", "3", "Mug", "5.00"),
            List.of("e4", "1", "n", "1.00")),
        TestDatabase.query(
            database,
            "SELECT event_id, source_line, product_name, price FROM user_events ORDER BY 1"));
    assertEquals(
        List.of(
            List.of("2026-01-01 10:00:00", "Clothing", "view", "1", "19.99"),
            List.of("2026-01-01 10:00:00", "Home", "purchase", "1", "5.00")),
        TestDatabase.query(
            database,
            "SELECT (minute AT TIME ZONE 'UTC')::text, category, event_type, events, revenue"
                + " FROM event_stats_minute ORDER BY 1, 2, 3"));
    List<JsonNode> records = LandingScenario.errorRecords(errors);
    assertEquals(2, records.size());
    assertEquals("BAD_PRICE", records.get(0).get("reason").asText());
    assertEquals(5, records.get(0).get("line").asInt());
    assertEquals("DB_REJECTED", records.get(1).get("reason").asText());
    assertEquals(6, records.get(1).get("line").asInt());
    assertTrue(records.get(1).get("message").asText().contains("SQLSTATE 22"));
    assertTrue(records.get(1).get("raw").asText().startsWith("e3,u4,p2,Mug,Home,5,view,"));
    assertEquals(a.path(), records.get(1).get("source").asText());
  }

  @Test
  void aVersionIngestedTwiceIsStoredOnceAndItsPublishedErrorFileKept(TestPipeline pipeline)
      throws Exception {
    FileVersion a = write("a.csv", "e1,u1,p1,Shoes,Clothing,1,view,2026-01-01T10:00:00Z", "bad");
    // As if an attempt cut short by a crash had published the file but not committed.
    Path published = Files.writeString(errors.resolve(a.errorFileName()), "earlier attempt\n");
    ingest(pipeline, a, a);

    assertEquals(
        List.of(
            List.of("a.csv", "2", "1", "0", "0", "1", "{\"FIELD_COUNT\": 1}", a.errorFileName())),
        ledger());
    assertEquals(1, TestDatabase.count(database, "SELECT count(*) FROM user_events"));
    assertEquals(1, TestDatabase.count(database, "SELECT sum(events) FROM event_stats_minute"));
    assertEquals("earlier attempt\n", Files.readString(published));
    try (var files = Files.list(errors)) {
      assertEquals(1, files.count(), "no temporary file left");
    }
  }

  @Test
  void smallVersionsShareATransactionAndEachKeepsItsOwnCounts() throws Exception {
    FileVersion b1 =
        write(
            "b1.csv",
            "e1,u1,p1,Shoes,Clothing,1,view,2026-01-01T10:00:00Z",
            "e2,u1,p1,Shoes,Clothing,2,view,2026-01-01T10:00:00Z");
    FileVersion b2 =
        write(
            "b2.csv",
            "e1,u2,p2,Later copy,Home,9,view,2026-01-01T10:00:00Z",
            "e3,u4,p2,Mug,Home,5,view,+294277-01-01T00:00:00Z",
            "e4,u1,p1,Shoes,Clothing,4,purchase,2026-01-01T10:00:00Z",
            "bad");
    FileVersion replaced = write("b3.csv", "e5,u1,p1,Shoes,Clothing,1,view,2026-01-01T10:00:00Z");
    write("b3.csv", "e6,u1,p1,Shoes,Clothing,1,view,2026-01-01T10:00:00Z", "grown");
    FileVersion gone = new FileVersion(in.resolve("gone.csv").toString(), 10, 1);
    ingestAsOneBundle(b1, replaced, b2, gone, b1); // Create may split them into bundles

    assertEquals(
        List.of(
            List.of("b1.csv", "2", "2", "0", "0", "0", "{}", ""),
            List.of(
                "b2.csv",
                "4",
                "1",
                "1",
                "0",
                "2",
                "{\"DB_REJECTED\": 1, \"FIELD_COUNT\": 1}",
                b2.errorFileName())),
        ledger().stream().map(row -> row.stream().map(c -> c == null ? "" : c).toList()).toList());
    assertEquals(
        List.of(
            List.of("e1", "b1.csv", "1"),
            List.of("e2", "b1.csv", "2"),
            List.of("e4", "b2.csv", "3")),
        TestDatabase.query(
            database,
            "SELECT event_id, regexp_replace(source_file, '^.*/', ''), source_line"
                + " FROM user_events ORDER BY 1"));
    assertEquals(3, TestDatabase.count(database, "SELECT sum(events) FROM event_stats_minute"));
    List<JsonNode> records = LandingScenario.errorRecords(errors);
    assertEquals(
        List.of("2 DB_REJECTED", "4 FIELD_COUNT"),
        records.stream()
            .map(r -> r.get("line").asInt() + " " + r.get("reason").asText())
            .sorted()
            .toList());
    records.forEach(r -> assertEquals(b2.path(), r.get("source").asText()));
  }

  /** About 400 KB of events: six blocks of rows, so six chunks of one byte or more each. */
  private FileVersion writeLarge(String name, Map<Integer, String> lines) throws IOException {
    List<String> text = new ArrayList<>(List.of(HEADER));
    for (int i = 0; i < 6000; i++) {
      text.add(
          lines.getOrDefault(i, "e" + i + ",u1,p1,Shoes,Clothing,1,view,2026-01-01T10:00:00Z"));
    }
    return write(name, text.toArray(String[]::new));
  }

  @Test
  void aLargeVersionIsStoredAChunkAtATimeAsIfAtOnce() throws Exception {
    FileVersion big =
        writeLarge(
            "big.csv",
            Map.of(
                10, "dup,u1,p1,First,Home,1,view,2026-01-01T10:00:00Z",
                20, "rej,u1,p1,Mug,Home,5,view,+294277-01-01T00:00:00Z",
                5000, "dup,u2,p2,Later,Home,2,view,2026-01-01T10:00:00Z",
                5500, "rej,u2,p2,Later,Home,2,view,2026-01-01T10:00:00Z"));
    ingestAsOneBundle(1, big);

    // Of an id in two chunks the earlier line wins, even one the database refused.
    assertEquals(
        List.of(
            List.of(
                "big.csv",
                "6001",
                "5997",
                "2",
                "1",
                "1",
                "{\"DB_REJECTED\": 1}",
                big.errorFileName())),
        ledger());
    assertEquals(
        List.of(List.of("First", "12")),
        TestDatabase.query(
            database,
            "SELECT product_name, source_line FROM user_events WHERE event_id IN ('dup', 'rej')"));
    assertEquals(5997, TestDatabase.count(database, "SELECT count(*) FROM user_events"));
    assertEquals(5997, TestDatabase.count(database, "SELECT sum(events) FROM event_stats_minute"));
    List<JsonNode> records = LandingScenario.errorRecords(errors);
    assertEquals(List.of(22), records.stream().map(r -> r.get("line").asInt()).toList());
  }

  @Test
  void aLargeVersionThatChangedAfterItsFirstChunksWereStoredLeavesNothing() throws Exception {
    FileVersion big = writeLarge("big.csv", Map.of(0, "bad"));
    Files.writeString(in.resolve("big.csv"), "e9999,u,p,n,c,1,view,2026-01-01T10:00:00Z\n", APPEND);
    ingestAsOneBundle(1, big);

    assertEquals(List.of(), ledger());
    assertEquals(0, TestDatabase.count(database, "SELECT count(*) FROM user_events"));
    assertEquals(0, TestDatabase.count(database, "SELECT count(*) FROM event_stats_minute"));
    try (var files = Files.list(errors)) {
      assertEquals(0, files.count(), "no error file");
    }
  }

  private FileVersion writeGzip(String name, byte[] text, int keepBytes) throws IOException {
    ByteArrayOutputStream packed = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(packed)) {
      gzip.write(text);
    }
    Path file = in.resolve(name);
    Files.write(file, Arrays.copyOf(packed.toByteArray(), Math.min(keepBytes, packed.size())));
    return InputFolder.current(file.toString()).orElseThrow();
  }

  /** 20,000 events under a header naming the columns in another order. */
  private static byte[] mappedColumns(String idPrefix) {
    StringBuilder text =
        new StringBuilder(
            "price,event_id,user_id,product_id,product_name,category,event_type,timestamp\n");
    for (int i = 0; i < 20_000; i++) {
      text.append(i % 100)
          .append(".5,")
          .append(idPrefix)
          .append(i)
          .append(",u,p,n,c,view,2026-01-01T10:00:00Z\n");
    }
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void gzipFilesAreReadAndACorruptOneKeepsWhatItCouldRead(TestPipeline pipeline) throws Exception {
    FileVersion whole = writeGzip("whole.csv.gz", mappedColumns("w"), Integer.MAX_VALUE);
    FileVersion cut = writeGzip("cut.csv.gz", mappedColumns("c"), 30_000);
    ingest(pipeline, whole, cut);

    List<List<String>> ledger = ledger();
    assertEquals(
        List.of("whole.csv.gz", "20001", "20000", "0", "1", "0", "{}"),
        ledger.get(1).subList(0, 7));
    List<String> corrupt = ledger.get(0);
    long lines = Long.parseLong(corrupt.get(1));
    assertTrue(
        lines > 1000 && lines < 20_001, "the lines before the corrupt part are read: " + lines);
    assertEquals(
        List.of(
            "cut.csv.gz",
            Long.toString(lines),
            Long.toString(lines - 2),
            "0",
            "1",
            "1",
            "{\"BAD_ENCODING\": 1}"),
        corrupt.subList(0, 7));
    assertEquals(
        20_000 + lines - 2, TestDatabase.count(database, "SELECT count(*) FROM user_events"));
    JsonNode record = LandingScenario.errorRecords(errors).get(0);
    assertEquals(lines, record.get("line").asLong());
    assertTrue(
        record.get("message").asText().startsWith("gzip data corrupt after line " + (lines - 1)),
        record.toString());
  }

  @Test
  void aHugeLineOrAGzipBombIsOneErrorRecordAndTenThousandColumnsAreRead(TestPipeline pipeline)
      throws Exception {
    String valid = "e1,u1,p1,Shoes,Clothing,1,view,2026-01-01T10:00:00Z";
    FileVersion huge = write("huge.csv", "x".repeat(3 << 20), valid);
    // 1 GiB of zeros without a line end, a megabyte packed: read in full, never held.
    ByteArrayOutputStream packed = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(packed)) {
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 1024; i++) {
        gzip.write(zeros);
      }
    }
    Path bombFile = Files.write(in.resolve("bomb.csv.gz"), packed.toByteArray());
    FileVersion bomb = InputFolder.current(bombFile.toString()).orElseThrow();
    String extra = ",x".repeat(10_000 - LineParser.COLUMNS.size());
    FileVersion wide = write("wide.csv", HEADER + extra, valid.replace("e1", "e2") + extra);
    ingest(pipeline, huge, bomb, wide);

    assertEquals(
        List.of(
            List.of("bomb.csv.gz", "1", "0", "0", "0", "1", "{\"FIELD_TOO_LONG\": 1}"),
            List.of("huge.csv", "2", "1", "0", "0", "1", "{\"FIELD_TOO_LONG\": 1}"),
            List.of("wide.csv", "2", "1", "0", "1", "0", "{}")),
        ledger().stream().map(row -> row.subList(0, 7)).toList());
    for (JsonNode record : LandingScenario.errorRecords(errors)) {
      assertEquals(1, record.get("line").asInt());
      assertEquals(ErrorRecord.MAX_RAW_CHARS, record.get("raw").asText().length());
      assertTrue(record.get("message").asText().contains("longer than 1048576 bytes"));
    }
  }

  @Test
  void committedFilesAreArchivedUnderTheirVersionAndAReplacedOneIsLeft(TestPipeline pipeline)
      throws Exception {
    Path archive = Files.createDirectories(work.resolve("archive"));
    FileVersion a = write("a.csv", "e1,u1,p1,Shoes,Clothing,1,view,2026-01-01T10:00:00Z");
    FileVersion gz =
        writeGzip(
            "b.csv.gz",
            "e2,u1,p1,Shoes,Clothing,1,view,2026-01-01T10:00:00Z\n"
                .getBytes(StandardCharsets.UTF_8),
            Integer.MAX_VALUE);
    FileVersion old = write("c.csv", "e3,u1,p1,Shoes,Clothing,1,view,2026-01-01T10:00:00Z");
    write("c.csv", "e4,u1,p1,Shoes,Clothing,1,view,2026-01-01T10:00:00Z", "replaced");
    ingest(
        pipeline,
        new ProcessedFiles(ProcessedFiles.Action.archive, archive.toString()),
        a,
        gz,
        old);

    assertEquals(List.of("a.csv", "b.csv.gz"), ledger().stream().map(row -> row.get(0)).toList());
    try (var files = Files.list(in)) {
      assertEquals(List.of("c.csv"), files.map(f -> f.getFileName().toString()).toList());
    }
    try (var files = Files.list(archive)) {
      assertEquals(
          List.of(ProcessedFiles.archivedName(a), ProcessedFiles.archivedName(gz)),
          files.map(f -> f.getFileName().toString()).sorted().toList());
    }
    assertTrue(ProcessedFiles.archivedName(gz).endsWith("-" + gz.size() + ".csv.gz"));
  }

  @Test
  void committedFilesCanBeDeleted(TestPipeline pipeline) throws Exception {
    FileVersion a = write("a.csv", "e1,u1,p1,Shoes,Clothing,1,view,2026-01-01T10:00:00Z");
    ingest(pipeline, new ProcessedFiles(ProcessedFiles.Action.delete, null), a);

    assertEquals(1, ledger().size());
    try (var files = Files.list(in)) {
      assertEquals(0, files.count());
    }
  }

  @Test
  void aVersionNoLongerOnDiskIsNotCommitted(TestPipeline pipeline) throws Exception {
    FileVersion old = write("a.csv", "e1,u1,p1,Shoes,Clothing,1,view,2026-01-01T10:00:00Z");
    write("a.csv", "e2,u1,p1,Shoes,Clothing,1,view,2026-01-01T10:00:00Z", "and one more line");
    FileVersion gone = new FileVersion(in.resolve("gone.csv").toString(), 10, 1);
    ingest(pipeline, old, gone);

    assertEquals(List.of(), ledger());
    assertEquals(0, TestDatabase.count(database, "SELECT count(*) FROM user_events"));
    try (var files = Files.list(errors)) {
      assertEquals(0, files.count());
    }
  }

  @Test
  void largeVersionsStreamAndAwkwardTextIsStoredAsIs(TestPipeline pipeline) throws Exception {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      lines.add("e" + i + ",u1,p1,\"Shoes, \"\"Red\"\"\",Clothing,1.5,view,2026-01-01T10:00:00Z");
    }
    FileVersion big = write("a, \"b\".csv", lines.toArray(String[]::new));
    ingest(pipeline, big);

    assertEquals(5000, TestDatabase.count(database, "SELECT count(*) FROM user_events"));
    assertEquals(
        List.of(List.of("Shoes, \"Red\"", big.path(), "7500.00")),
        TestDatabase.query(
            database, "SELECT min(product_name), min(source_file), sum(price) FROM user_events"));
  }
}
