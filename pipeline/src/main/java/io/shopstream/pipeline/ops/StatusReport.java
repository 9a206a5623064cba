package io.shopstream.pipeline.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.shopstream.pipeline.core.files.FileVersion;
import io.shopstream.pipeline.core.files.InputFolder;
import io.shopstream.pipeline.core.parse.ErrorRecord;
import io.shopstream.pipeline.core.store.JdbcConfig;
import io.shopstream.pipeline.core.store.Ledger;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;

/**
 * What the status server shows, read when asked: this run's counters (the numbers of the console's
 * progress line, from the same snapshot) and the file ledger, the folder and the error files.
 */
public final class StatusReport {

  static final ObjectMapper JSON = new ObjectMapper();

  /** Error records read per error file when looking for the latest example of each reason. */
  private static final int EXAMPLE_SCAN_LINES = 1000;

  private static final int TIMEOUT_SECONDS = 3;

  private static final String FILE_COLUMNS =
      "file_id, path, size, modified_at, found_at, committed_at, lines, stored, duplicates, skipped, errors,"
          + " errors_by_reason, extra_columns, error_file, read_by";

  private final PipelineResult result;
  private final RunTotals totals;
  private final JdbcConfig database;
  private final InputFolder input;

  /** The versions in the folder found committed, as of the last look. */
  private final Set<FileVersion> committedInFolder = new HashSet<>();

  /** The whole ledger's totals, read incrementally: a refresh costs the same at any size. */
  private final Ledger.Sums ledger;

  public StatusReport(
      PipelineResult result, RunTotals totals, JdbcConfig database, String inputDir) {
    this.result = result;
    this.totals = totals;
    this.database = database;
    this.input = new InputFolder(inputDir);
    this.ledger = new Ledger.Sums(Instant.EPOCH, RunTotals.settle(database));
  }

  /** This run's counters and gauges by name, as the progress line prints them. */
  Map<String, Long> run() {
    return totals.snapshot();
  }

  /** Files by state: in the folder now, not yet committed, committed, committed with errors. */
  record Files(long found, long inFlight, long committed, long withErrors) {}

  Files files() throws SQLException, IOException {
    try (Connection connection = database.connect(TIMEOUT_SECONDS)) {
      return files(connection);
    }
  }

  private Files files(Connection connection) throws SQLException, IOException {
    return files(connection, ledger.now(connection));
  }

  private Files files(Connection connection, Ledger.Totals all) throws SQLException, IOException {
    List<FileVersion> listed = input.list();
    long committed;
    synchronized (committedInFolder) {
      // A version committed stays committed: the ledger is asked only about the others.
      committedInFolder.retainAll(new HashSet<>(listed));
      committedInFolder.addAll(
          Ledger.committed(
              connection, listed.stream().filter(v -> !committedInFolder.contains(v)).toList()));
      committed = committedInFolder.size();
    }
    return new Files(listed.size(), listed.size() - committed, all.files(), all.withErrors());
  }

  /** Everything the page shows, in one JSON document. */
  Map<String, Object> page() throws SQLException, IOException {
    Map<String, Long> run = run();
    Map<String, Object> page = new LinkedHashMap<>();
    page.put("progress", Progress.line(run, totals.ledgerProblem()));
    page.put("run", run);
    try (Connection connection = database.connect(TIMEOUT_SECONDS)) {
      Ledger.Totals all = ledger.now(connection);
      Ledger.Counts counts = all.counts();
      page.put("files", files(connection, all));
      page.put(
          "totals",
          Map.of(
              "lines", counts.lines(),
              "stored", counts.stored(),
              "duplicates", counts.duplicates(),
              "skipped", counts.skipped(),
              "errors", counts.errors()));
      page.put(
          "throughput",
          rows(
              connection,
              "SELECT (extract(epoch FROM bucket) * 1000)::bigint AS at, sum(lines) AS lines"
                  + " FROM (SELECT date_bin('10 seconds', committed_at, timestamptz 'epoch')"
                  + " AS bucket, lines FROM ingested_files"
                  + " WHERE committed_at > now() - interval '15 minutes') b"
                  + " GROUP BY 1 ORDER BY 1"));
      List<Map<String, Object>> reasons =
          counts.errorsByReason().entrySet().stream()
              .sorted(
                  Map.Entry.<ErrorRecord.Reason, Long>comparingByValue()
                      .reversed()
                      .thenComparing(e -> e.getKey().name()))
              .map(e -> Map.<String, Object>of("reason", e.getKey().name(), "errors", e.getValue()))
              .toList();
      page.put("errors", reasons);
      page.put("examples", latestExamples(connection, reasons.size()));
      page.put("recent", ledgerPage(connection, 0, 15));
      page.put(
          "minutes",
          rows(
              connection,
              "SELECT (extract(epoch FROM minute) * 1000)::bigint AS at, category,"
                  + " sum(events) AS events,"
                  + " coalesce(sum(revenue) FILTER (WHERE event_type = 'purchase'), 0) AS revenue"
                  + " FROM event_stats_minute"
                  + " WHERE minute > (SELECT max(event_time) FROM user_events)"
                  + " - interval '1 hour' GROUP BY 1, 2 ORDER BY 1, 2"));
    }
    page.put("now", System.currentTimeMillis());
    return page;
  }

  /** A page of the ledger, newest first. */
  Map<String, Object> ledger(int page, int size) throws SQLException {
    try (Connection connection = database.connect(TIMEOUT_SECONDS)) {
      Map<String, Object> answer = new LinkedHashMap<>();
      answer.put("page", page);
      answer.put("size", size);
      answer.put("total", ledger.now(connection).files());
      answer.put("files", ledgerPage(connection, page * size, size));
      return answer;
    }
  }

  Optional<Map<String, Object>> file(long id) throws SQLException {
    try (Connection connection = database.connect(TIMEOUT_SECONDS);
        PreparedStatement query =
            connection.prepareStatement(
                "SELECT " + FILE_COLUMNS + " FROM ingested_files WHERE file_id = ?")) {
      query.setLong(1, id);
      List<Map<String, Object>> found = rows(query);
      return found.stream().findFirst();
    }
  }

  /** The error file of a ledger row, if it has one: only files the ledger names are served. */
  Optional<String> errorFile(long id) throws SQLException {
    return file(id).map(row -> (String) row.get("error_file"));
  }

  /** Null when the pipeline runs and PostgreSQL answers; otherwise why not. */
  String unhealthy() {
    PipelineResult.State state = result.getState();
    if (state.isTerminal()) {
      return "the pipeline is " + state;
    }
    try (Connection connection = database.connect(TIMEOUT_SECONDS);
        Statement statement = connection.createStatement()) {
      statement.setQueryTimeout(TIMEOUT_SECONDS);
      statement.execute("SELECT 1");
      return null;
    } catch (SQLException e) {
      return "PostgreSQL does not answer: " + e.getMessage();
    }
  }

  private static List<Map<String, Object>> ledgerPage(Connection connection, int offset, int limit)
      throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT "
                + FILE_COLUMNS
                + " FROM ingested_files ORDER BY file_id DESC OFFSET ? LIMIT ?")) {
      query.setInt(1, offset);
      query.setInt(2, limit);
      return rows(query);
    }
  }

  /** The newest error record of each reason, from the newest error files. */
  private static List<JsonNode> latestExamples(Connection connection, int reasons)
      throws SQLException, IOException {
    Map<String, JsonNode> byReason = new LinkedHashMap<>();
    List<Map<String, Object>> newest =
        rows(
            connection,
            "SELECT error_file FROM ingested_files WHERE error_file IS NOT NULL"
                + " ORDER BY file_id DESC LIMIT 20");
    for (Map<String, Object> row : newest) {
      if (byReason.size() >= reasons) {
        break;
      }
      String path = (String) row.get("error_file");
      try (BufferedReader reader =
          new BufferedReader(
              new InputStreamReader(
                  Channels.newInputStream(
                      FileSystems.open(FileSystems.matchNewResource(path, false))),
                  StandardCharsets.UTF_8))) {
        String line;
        for (int n = 0; n < EXAMPLE_SCAN_LINES && (line = reader.readLine()) != null; n++) {
          JsonNode record = JSON.readTree(line);
          byReason.putIfAbsent(record.path("reason").asText(), record);
        }
      } catch (java.io.FileNotFoundException | java.nio.file.NoSuchFileException e) {
        // Error files are the user's to move away; the ledger keeps the counts.
      }
    }
    return new ArrayList<>(byReason.values());
  }

  private static List<Map<String, Object>> rows(Connection connection, String sql)
      throws SQLException {
    try (PreparedStatement query = connection.prepareStatement(sql)) {
      return rows(query);
    }
  }

  /** Rows as column-to-value maps; timestamps as epoch milliseconds, JSON columns as JSON. */
  private static List<Map<String, Object>> rows(PreparedStatement query) throws SQLException {
    query.setQueryTimeout(TIMEOUT_SECONDS);
    List<Map<String, Object>> rows = new ArrayList<>();
    try (ResultSet r = query.executeQuery()) {
      ResultSetMetaData meta = r.getMetaData();
      while (r.next()) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
          Object value = r.getObject(i);
          if (value instanceof java.sql.Timestamp timestamp) {
            value = timestamp.getTime();
          } else if ("jsonb".equals(meta.getColumnTypeName(i)) && value != null) {
            value = readJson(value.toString());
          }
          row.put(meta.getColumnLabel(i), value);
        }
        rows.add(row);
      }
    }
    return rows;
  }

  private static JsonNode readJson(String text) throws SQLException {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new SQLException("not JSON: " + text, e);
    }
  }
}
