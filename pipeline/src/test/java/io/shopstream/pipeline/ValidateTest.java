package io.shopstream.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.shopstream.pipeline.core.files.FileVersion;
import io.shopstream.pipeline.core.files.InputFolder;
import io.shopstream.pipeline.core.files.ProcessedFiles;
import io.shopstream.pipeline.core.ingest.GroupIngest;
import io.shopstream.pipeline.core.parse.ExtraColumns;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code validate} says what the pipeline would make of a file: the same counts as the ledger row
 * the pipeline writes for it, and the errors the generator put in.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ValidateTest {

  @RegisterExtension final FreshDatabase fresh = new FreshDatabase();
  @TempDir Path work;

  private record Run(int status, String out, String err) {}

  private static Run validate(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        Validate.run(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(
        status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @ParameterizedTest
  @CsvSource({"csv,false", "csv,true", "jsonl,false", "jsonl,true"})
  void countsWhatThePipelinesLedgerRowCountsForAFaultyGeneratedFile(String format, boolean gzip)
      throws Exception {
    Path generated =
        GeneratedFiles.generate(work.resolve("staging"), 1, 4000, 11, "--format", format).get(0);
    Path in = Files.createDirectories(work.resolve("raw"));
    Path file = in.resolve(generated.getFileName() + (gzip ? ".gz" : ""));
    try (OutputStream out =
        gzip ? new GZIPOutputStream(Files.newOutputStream(file)) : Files.newOutputStream(file)) {
      Files.copy(generated, out);
    }
    GeneratedFiles.Expected truth = GeneratedFiles.expected(List.of(generated), in);

    Run run = validate("--json", "--limit=3", file.toString());
    assertEquals(1, run.status(), run.err());
    JsonNode report = new ObjectMapper().readTree(run.out());
    assertEquals(false, report.get("valid").asBoolean());
    JsonNode validated = report.get("files").get(0);
    assertEquals(3, validated.get("first_errors").size());
    assertEquals(truth.errors().size(), validated.get("errors").asLong(), "the generator's count");
    assertEquals(truth.events().size(), validated.get("events").asLong(), "the generator's count");

    Path errors = Files.createDirectories(work.resolve("error"));
    FileVersion version = InputFolder.current(file.toString()).orElseThrow();
    new GroupIngest(
            fresh.config(),
            errors.toString(),
            ProcessedFiles.KEEP,
            ExtraColumns.rescue,
            GroupIngest.CHUNK_BYTES,
            LandingScenario.NO_METRICS)
        .ingest(List.of(new GroupIngest.Found(version, Instant.now())));
    List<String> ledger =
        TestDatabase.query(
                fresh.config(),
                "SELECT path, lines, stored, duplicates, skipped, errors, errors_by_reason::text"
                    + " FROM ingested_files")
            .get(0);
    Map<String, Long> reasons = new TreeMap<>();
    validated
        .get("errors_by_reason")
        .fields()
        .forEachRemaining(e -> reasons.put(e.getKey(), e.getValue().asLong()));
    Map<String, Long> ledgerReasons = new TreeMap<>();
    new ObjectMapper()
        .readTree(ledger.get(6))
        .fields()
        .forEachRemaining(e -> ledgerReasons.put(e.getKey(), e.getValue().asLong()));
    assertEquals(
        List.of(
            validated.get("file").asText(),
            validated.get("lines").asText(),
            validated.get("events").asText(),
            validated.get("duplicates").asText(),
            validated.get("skipped").asText(),
            validated.get("errors").asText()),
        ledger.subList(0, 6),
        "path, lines, events stored, duplicates, skipped, errors");
    assertEquals(ledgerReasons, reasons);
  }

  @Test
  void exitsZeroWhenEveryLineIsValidAndTwoOnAUsageError() throws Exception {
    Path good = work.resolve("good.csv");
    Files.writeString(
        good,
        "event_id,user_id,product_id,product_name,category,price,event_type,timestamp,coupon\n"
            + "e1,u1,p1,Shoes,Clothing,1,view,2026-01-01T10:00:00Z,SAVE10\n");
    Run run = validate(good.toString());
    assertEquals(0, run.status(), run.err());
    assertTrue(
        run.out().contains("2 lines: 1 events, 0 duplicates within the file, 1 skipped, 0 errors"),
        run.out());
    assertTrue(run.out().contains("coupon=1"), run.out());
    Run rejected = validate("--extraColumns=reject", good.toString());
    assertEquals(1, rejected.status());
    assertTrue(rejected.out().contains("EXTRA_COLUMNS"), rejected.out());

    Path text = Files.writeString(work.resolve("notes.txt"), "x\n");
    for (String[] args :
        new String[][] {
          {},
          {"--frobnicate", good.toString()},
          {"--limit=-1", good.toString()},
          {"--extraColumns=keep", good.toString()},
          {work.resolve("missing.csv").toString()},
          {text.toString()}
        }) {
      Run usage = validate(args);
      assertEquals(2, usage.status(), String.join(" ", args));
      assertTrue(usage.err().startsWith("validate: "), usage.err());
      assertTrue(usage.err().contains(Validate.USAGE), usage.err());
      assertEquals("", usage.out());
    }
  }
}
