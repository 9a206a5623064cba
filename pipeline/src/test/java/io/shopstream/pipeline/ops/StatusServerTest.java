package io.shopstream.pipeline.ops;

import static io.shopstream.pipeline.LandingScenario.awaitTrue;
import static io.shopstream.pipeline.LandingScenario.committedFiles;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.shopstream.pipeline.FreshDatabase;
import io.shopstream.pipeline.GeneratedFiles;
import io.shopstream.pipeline.LandingScenario;
import io.shopstream.pipeline.ShopstreamOptions;
import io.shopstream.pipeline.ShopstreamPipeline;
import io.shopstream.pipeline.TcpProxy;
import io.shopstream.pipeline.TestDatabase;
import io.shopstream.pipeline.core.parse.LineParser;
import io.shopstream.pipeline.core.store.JdbcConfig;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.PipelineResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status server of a running pipeline (DirectRunner): the page in headless Chromium against the
 * ledger, {@code /metrics} through the Prometheus client's own text parser, {@code /health} through
 * a database outage, and the ledger API.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class StatusServerTest {

  /** Debian's chromium; {@code .ci/run} installs it. */
  private static final String CHROMIUM = "/usr/bin/chromium";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path work;
  @RegisterExtension final FreshDatabase fresh = new FreshDatabase();
  private PipelineResult result;
  private StatusServer server;

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (result != null) {
      result.cancel();
    }
  }

  private Path start(String jdbcUrl) throws Exception {
    Path in = Files.createDirectories(work.resolve("raw"));
    ShopstreamOptions options =
        ShopstreamPipeline.parse(
            "--runner=DirectRunner",
            "--inputDir=" + in,
            "--errorDir=" + Files.createDirectories(work.resolve("error")),
            "--jdbcUrl=" + jdbcUrl);
    result = ShopstreamPipeline.run(options);
    JdbcConfig database = new JdbcConfig(jdbcUrl, null, null);
    server =
        StatusServer.start(
            "127.0.0.1",
            0,
            new StatusReport(
                result, new RunTotals(result, database, Instant.EPOCH), database, in.toString()));
    return in;
  }

  @Test
  void thePageShowsTheLedgerWhileFilesLandAndExactlyOnceTheyAreIn() throws Exception {
    boolean browser = Files.isExecutable(Path.of(CHROMIUM));
    if (!browser) {
      System.out.println(
          "StatusServerTest: the browser test skipped: no Chromium at "
              + CHROMIUM
              + " (Debian: apt-get install chromium; CI installs it)");
    }
    Assumptions.assumeTrue(browser, "no Chromium at " + CHROMIUM);
    JdbcConfig database = fresh.config();
    Path in = start(database.url());
    List<Path> files = GeneratedFiles.generate(work.resolve("staging"), 8, 11);
    Thread landing =
        new Thread(
            () -> {
              try {
                for (Path file : files) {
                  GeneratedFiles.land(file, in);
                  TimeUnit.SECONDS.sleep(1); // a steady trickle, so the page is read under load
                }
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    landing.start();
    awaitTrue(() -> committedFiles(database) >= 2, "two files committed");
    // While files land: what the page shows lies between the ledger before and after the load.
    long filesBefore = committedFiles(database);
    long linesBefore = ledgerLines(database);
    chromium("--screenshot=" + Path.of("target", "status-page.png").toAbsolutePath());
    Map<String, String> shown = figures(chromium("--dump-dom"));
    long filesAfter = committedFiles(database);
    long linesAfter = ledgerLines(database);
    assertBetween(filesBefore, number(shown, "files-committed"), filesAfter, "committed files");
    assertBetween(linesBefore, number(shown, "total-lines"), linesAfter, "ledger lines");
    landing.join();

    awaitTrue(() -> committedFiles(database) == files.size(), "every file committed");
    String page = chromium("--dump-dom");
    shown = figures(page);
    assertEquals(files.size(), number(shown, "files-found"));
    assertEquals(0, number(shown, "files-in-flight"));
    assertEquals(files.size(), number(shown, "files-committed"));
    List<List<String>> totals =
        TestDatabase.query(
            database,
            "SELECT sum(lines), sum(stored), sum(duplicates), sum(skipped), sum(errors),"
                + " count(*) FILTER (WHERE errors > 0) FROM ingested_files");
    String[] names = {"total-lines", "total-stored", "total-duplicates", "total-skipped"};
    for (int i = 0; i < names.length; i++) {
      assertEquals(Long.parseLong(totals.get(0).get(i)), number(shown, names[i]), names[i]);
    }
    assertEquals(Long.parseLong(totals.get(0).get(4)), number(shown, "total-errors"));
    assertEquals(Long.parseLong(totals.get(0).get(5)), number(shown, "files-with-errors"));
    Map<String, Long> byReason = new HashMap<>();
    Matcher row =
        Pattern.compile("<tr data-reason=\"(\\w+)\"><td>\\w+</td><td class=\"n\">([\\d,]+)</td>")
            .matcher(page);
    while (row.find()) {
      byReason.put(row.group(1), Long.parseLong(row.group(2).replace(",", "")));
    }
    Map<String, Long> ledgerByReason = new HashMap<>();
    for (List<String> r :
        TestDatabase.query(
            database,
            "SELECT r.key, sum(r.value::bigint) FROM ingested_files,"
                + " jsonb_each_text(errors_by_reason) r GROUP BY 1")) {
      ledgerByReason.put(r.get(0), Long.parseLong(r.get(1)));
    }
    assertTrue(!ledgerByReason.isEmpty(), "the files have errors to show");
    assertEquals(ledgerByReason, byReason, "errors by reason");
    List<String> recentIds = new ArrayList<>();
    Matcher recent = Pattern.compile("<tr data-file-id=\"(\\d+)\">").matcher(page);
    while (recent.find()) {
      recentIds.add(recent.group(1));
    }
    assertEquals(
        TestDatabase.query(database, "SELECT file_id FROM ingested_files ORDER BY 1 DESC").stream()
            .map(r -> r.get(0))
            .toList(),
        recentIds,
        "the last files committed, newest first");
  }

  @Test
  void metricsParseAsPrometheusTextAndTellTheRunsNumbers() throws Exception {
    JdbcConfig database = fresh.config();
    Path in = start(database.url());
    List<Path> files = GeneratedFiles.generate(work.resolve("staging"), 3, 12);
    for (Path file : files) {
      GeneratedFiles.land(file, in);
    }
    awaitTrue(() -> committedFiles(database) == files.size(), "every file committed");
    long lines = ledgerLines(database);
    awaitTrue(
        () -> Double.valueOf(lines).equals(metrics().get("shopstream_lines_total")),
        "the run's counters caught up with the ledger");
    Map<String, Double> m = metrics();
    assertEquals(
        (double) TestDatabase.count(database, "SELECT sum(stored) FROM ingested_files"),
        m.get("shopstream_stored_total"));
    assertEquals(
        (double) TestDatabase.count(database, "SELECT sum(size) FROM ingested_files"),
        m.get("shopstream_read_bytes_total"));
    assertEquals(
        (double)
            TestDatabase.count(
                database,
                "SELECT coalesce(sum((errors_by_reason->>'BAD_PRICE')::bigint), 0)"
                    + " FROM ingested_files"),
        m.get("shopstream_errors_total{reason=BAD_PRICE}"));
    assertEquals((double) files.size(), m.get("shopstream_files{state=committed}"));
    assertEquals((double) files.size(), m.get("shopstream_files{state=found}"));
    assertEquals(0.0, m.get("shopstream_files{state=in_flight}"));
    assertEquals(1.0, m.get("shopstream_database_up"));
    double transactions = m.get("shopstream_write_seconds_count");
    assertTrue(transactions >= 1, "write latency observed");
    assertEquals(transactions, m.get("shopstream_write_seconds_bucket{le=+Inf}"));
    assertEquals(transactions, m.get("shopstream_commit_seconds_count"));

    BigDecimal revenue = BigDecimal.ZERO;
    for (JsonNode minute : get("api/status").get("minutes")) {
      revenue = revenue.add(minute.get("revenue").decimalValue());
    }
    assertEquals(
        TestDatabase.query(
                database,
                "SELECT sum(price) FROM user_events WHERE event_type = 'purchase'"
                    + " AND date_bin('1 minute', event_time, timestamptz 'epoch')"
                    + " > (SELECT max(minute) FROM event_stats_minute) - interval '1 hour'")
            .get(0)
            .get(0),
        revenue.setScale(2).toPlainString(),
        "revenue is the purchases' prices, not every event's");

    JsonNode page = get("api/files?page=0&size=2");
    assertEquals(files.size(), page.get("total").asInt());
    assertEquals(2, page.get("files").size());
    JsonNode newest = page.get("files").get(0);
    JsonNode one = get("api/files/" + newest.get("file_id").asText());
    assertEquals(newest, one);
    assertEquals(
        Files.getLastModifiedTime(Path.of(one.get("path").asText())).toMillis(),
        one.get("modified_at").asLong(),
        "the row names its version: path, size and modification time");
    String errors = body("errors/" + newest.get("file_id").asText()).body();
    assertEquals(newest.get("errors").asLong(), errors.lines().count(), "its error file");
    assertEquals(404, body("api/files/999999").statusCode());
    assertEquals(404, body("api/files/abc").statusCode());
    assertEquals(404, body("api/files/99999999999999999999").statusCode());

    LandingScenario.land(
        in,
        "extras.csv",
        String.join(",", LineParser.COLUMNS) + ",coupon",
        "x1,u1,p1,Mug,Home,4,view,2026-01-01T10:00:00Z,SAVE5");
    awaitTrue(() -> committedFiles(database) == files.size() + 1, "the extras file committed");
    JsonNode extras = get("api/files?page=0&size=1").get("files").get(0);
    assertEquals(
        new ObjectMapper().readTree("{\"coupon\": 1}"),
        get("api/files/" + extras.get("file_id").asText()).get("extra_columns"),
        "a file's extra columns, with the lines that held a value in each");
  }

  @Test
  void healthIsDownWhileTheDatabaseIsUnreachableAndUpAfter() throws Exception {
    JdbcConfig database = fresh.config();
    URI server = URI.create(database.url().substring("jdbc:".length()));
    try (TcpProxy proxy = new TcpProxy(server.getHost(), server.getPort())) {
      start(database.url().replace(":" + server.getPort() + "/", ":" + proxy.port() + "/"));
      assertEquals(200, body("health").statusCode());
      proxy.cut();
      HttpResponse<String> down = body("health");
      assertEquals(503, down.statusCode(), down.body());
      assertTrue(down.body().contains("PostgreSQL does not answer"), down.body());
      assertEquals(0.0, metrics().get("shopstream_database_up"), "/metrics still answers");
      proxy.restore();
      assertEquals(200, body("health").statusCode());
    }
  }

  private String chromium(String output) throws Exception {
    Path log = Files.createTempFile(work, "chromium", ".out");
    Process process =
        new ProcessBuilder(
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--hide-scrollbars",
                "--window-size=1400,1500",
                "--virtual-time-budget=4000",
                output,
                server.address().toString())
            .redirectOutput(log.toFile())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "chromium answered within 60 s");
    assertEquals(0, process.exitValue(), "chromium exit status");
    return Files.readString(log);
  }

  /** The figures the page shows by element id, e.g. {@code files-committed -> 3}. */
  private static Map<String, String> figures(String dom) {
    Map<String, String> figures = new HashMap<>();
    Matcher figure = Pattern.compile("<b id=\"([a-z-]+)\">([^<]*)</b>").matcher(dom);
    while (figure.find()) {
      figures.put(figure.group(1), figure.group(2));
    }
    return figures;
  }

  private static long number(Map<String, String> figures, String id) {
    String shown = figures.get(id);
    assertTrue(shown != null && shown.matches("[\\d,]+"), id + " shows a number: " + shown);
    return Long.parseLong(shown.replace(",", ""));
  }

  private static void assertBetween(long low, long value, long high, String what) {
    assertTrue(
        low <= value && value <= high, what + ": " + value + " not in [" + low + ", " + high + "]");
  }

  private HttpResponse<String> body(String path) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(server.address().resolve(path))
            .timeout(Duration.ofSeconds(20))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode get(String path) throws Exception {
    HttpResponse<String> response = body(path);
    assertEquals(200, response.statusCode(), response.body());
    return JSON.readTree(response.body());
  }

  /** {@code /metrics} as Prometheus text: samples by name, labels as {@code {k=v,...}}. */
  private Map<String, Double> metrics() throws Exception {
    HttpResponse<String> response = body("metrics");
    assertEquals(200, response.statusCode());
    return PrometheusText.parse(response.body());
  }

  private static long ledgerLines(JdbcConfig database) throws Exception {
    return TestDatabase.count(database, "SELECT coalesce(sum(lines), 0) FROM ingested_files");
  }
}
