package io.shopstream.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.shopstream.pipeline.core.parse.ErrorRecord;
import io.shopstream.pipeline.core.parse.FileLines;
import io.shopstream.pipeline.core.parse.LineParser;
import io.shopstream.pipeline.core.store.JdbcConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Error replay (docs/reference.md, {@code runners/replay.sh}): the raw lines of the error records
 * chosen (all, or by reason, file or time) go into new input files (CSV with a header; JSON Lines
 * for JSON sources) in the input folder, where the running pipeline validates them again: lines
 * that pass are stored once, lines that fail again become new error records. Each record is
 * replayed once: {@code replayed_errors} holds it, with the replay file and line it went to, so a
 * stored row leads back to the line it came from. The log commits before its files land, and every
 * run first lands any logged file that is neither in the input folder nor in the ledger, so a crash
 * in between loses no replay.
 */
public final class ReplayErrors {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String COLUMNS = String.join(",", LineParser.COLUMNS);

  private ReplayErrors() {}

  /**
   * A record chosen: the error file it is in, and its source, line, reason, message and raw line.
   */
  record Chosen(
      String errorFile, String source, long line, String reason, String message, String raw) {}

  /** The "header" of JSON Lines replay files, which have none. */
  private static final String JSON_LINES = "";

  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMddHHmmssSSS").withZone(ZoneOffset.UTC);

  /** The replay files' time stamp: UTC to the millisecond, digits only. */
  static String stamp(Instant now) {
    return STAMP.format(now);
  }

  public static void main(String[] args) throws Exception {
    ReplayOptions options;
    try {
      // The pipeline's own checks (folders, --jdbcUrl, the password variable), then the filters.
      PipelineOptionsFactory.register(ReplayOptions.class);
      options = ShopstreamPipeline.parse(args).as(ReplayOptions.class);
      validate(options);
    } catch (IllegalArgumentException e) {
      System.err.println("replay: " + e.getMessage().lines().findFirst().orElse(""));
      System.exit(2);
      return;
    }
    ShopstreamPipeline.warnOfPasswordInArguments("replay", args);
    JdbcConfig database = ShopstreamPipeline.database(options);
    database.applySchema();
    List<Path> landed = replay(options, database);
    System.out.println(
        "replay: "
            + (landed.isEmpty() ? "no error records to replay" : "landed " + landed)
            + " (lineage: table replayed_errors)");
  }

  private static void validate(ReplayOptions options) {
    if (options.getJdbcUrl() == null) {
      throw new IllegalArgumentException("--jdbcUrl is required (the running pipeline's database)");
    }
    for (String[] instant :
        new String[][] {{"--since", options.getSince()}, {"--until", options.getUntil()}}) {
      if (instant[1] != null) {
        try {
          Instant.parse(instant[1]);
        } catch (DateTimeParseException e) {
          throw new IllegalArgumentException(
              instant[0]
                  + " must be an ISO-8601 instant (2026-12-02T10:00:00Z), got "
                  + instant[1]);
        }
      }
    }
    if (options.getReason() != null) {
      for (String reason : options.getReason().split(",")) {
        try {
          ErrorRecord.Reason.valueOf(reason.trim());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "--reason: unknown reason code "
                  + reason
                  + " (one of "
                  + Arrays.toString(ErrorRecord.Reason.values())
                  + ")");
        }
      }
    }
  }

  /** Logs the records chosen that were not replayed before, then lands every file still due. */
  static List<Path> replay(ReplayOptions options, JdbcConfig database)
      throws IOException, SQLException {
    List<Chosen> chosen = choose(options);
    try (Connection connection = database.connect()) {
      connection.setAutoCommit(false);
      try (PreparedStatement lock =
          connection.prepareStatement(
              "SELECT pg_advisory_xact_lock(hashtext('shopstream replay'))")) {
        lock.execute(); // two replays at once would give one record two replay files
      }
      Set<String> done = replayed(connection);
      Map<String, String> headers = new HashMap<>(); // by source file: each is read once
      Map<String, List<Chosen>> byHeader = new LinkedHashMap<>();
      Map<String, String> unmappable = new LinkedHashMap<>();
      for (Chosen record : chosen) {
        if (done.contains(record.errorFile() + ":" + record.line())) {
          continue;
        }
        if (record.reason().equals(ErrorRecord.Reason.HEADER_MISMATCH.name())) {
          Mapped mapped = mapped(record);
          if (mapped.why() != null) {
            unmappable.putIfAbsent(record.source(), mapped.why());
          } else {
            byHeader.computeIfAbsent(mapped.header(), h -> new ArrayList<>()).add(mapped.record());
          }
          continue;
        }
        // A refused row is re-written from its fields: as CSV, or as JSON when it has extras.
        boolean refused = record.reason().equals(ErrorRecord.Reason.DB_REJECTED.name());
        String header =
            refused
                ? (record.raw().startsWith("{") ? JSON_LINES : COLUMNS)
                : FileLines.isJsonLines(record.source())
                    ? JSON_LINES
                    : headers.computeIfAbsent(record.source(), ReplayErrors::headerOf);
        byHeader.computeIfAbsent(header, h -> new ArrayList<>()).add(record);
      }
      unmappable.forEach(
          (source, why) ->
              System.err.println(
                  "replay: the HEADER_MISMATCH records of "
                      + source
                      + " are not replayed: "
                      + why
                      + "; land the file again with its header fixed"));
      String stamp = stamp(Instant.now());
      int file = 0;
      try (PreparedStatement log =
          connection.prepareStatement(
              "INSERT INTO replayed_errors (error_file, line, source, reason, replay_file,"
                  + " replay_line, header, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
        for (Map.Entry<String, List<Chosen>> group : byHeader.entrySet()) {
          boolean json = group.getKey().equals(JSON_LINES);
          String replayFile =
              Path.of(
                      options.getInputDir(),
                      "replay-" + stamp + "-" + ++file + (json ? ".jsonl" : ".csv"))
                  .toString();
          long replayLine = json ? 0 : 1; // after the header
          for (Chosen record : group.getValue()) {
            log.setString(1, record.errorFile());
            log.setLong(2, record.line());
            log.setString(3, record.source());
            log.setString(4, record.reason());
            log.setString(5, replayFile);
            log.setLong(6, ++replayLine);
            log.setString(7, group.getKey());
            log.setString(8, record.raw());
            log.addBatch();
          }
        }
        log.executeBatch();
      }
      connection.commit();
      return landDue(connection);
    }
  }

  /**
   * A {@code HEADER_MISMATCH} record's line under the standard columns (then its file's other
   * columns, under their names), its file's header names compared without case, spaces, {@code -}
   * and {@code _}; or why it cannot be (a column that no name matches, a line that does not fit).
   */
  record Mapped(String header, Chosen record, String why) {
    static Mapped not(String why) {
      return new Mapped(null, null, why);
    }
  }

  static Mapped mapped(Chosen record) {
    int at = record.message().indexOf(LineParser.HEADER_COLUMNS);
    String columns =
        at >= 0
            ? record.message().substring(at + LineParser.HEADER_COLUMNS.length())
            : headerOf(record.source());
    List<String> names = csvFields(columns);
    List<String> raw = csvFields(record.raw());
    if (names == null || raw == null) {
      return Mapped.not("its line or header is not valid CSV");
    }
    List<String> keys = names.stream().map(ReplayErrors::nameKey).toList();
    List<String> unmatched = new ArrayList<>();
    List<Integer> positions = new ArrayList<>();
    for (String column : LineParser.COLUMNS) {
      int position = keys.indexOf(nameKey(column));
      if (position < 0) {
        unmatched.add(column);
      }
      positions.add(position);
    }
    if (!unmatched.isEmpty()) {
      return Mapped.not(
          "no column of its header is "
              + String.join(", ", unmatched)
              + ", even with names compared without case, spaces, - and _");
    }
    if (raw.size() != names.size()) {
      return Mapped.not(
          "a line has " + raw.size() + " fields where its header has " + names.size());
    }
    List<String> header = new ArrayList<>(LineParser.COLUMNS);
    List<String> values = new ArrayList<>();
    positions.forEach(p -> values.add(raw.get(p)));
    for (int i = 0; i < names.size(); i++) {
      if (!positions.contains(i)) {
        header.add(names.get(i));
        values.add(raw.get(i));
      }
    }
    Chosen line =
        new Chosen(
            record.errorFile(),
            record.source(),
            record.line(),
            record.reason(),
            record.message(),
            CSV.format(values.toArray()));
    return new Mapped(CSV.format(header.toArray()), line, null);
  }

  private static final CSVFormat CSV = CSVFormat.RFC4180.builder().setRecordSeparator("").get();

  private static String nameKey(String name) {
    return name.toLowerCase(Locale.ROOT).replaceAll("[\\s_-]", "");
  }

  /** The fields of one CSV line, or null when it is not one. */
  private static List<String> csvFields(String line) {
    try (CSVParser parser = CSVParser.parse(line, CSV)) {
      List<CSVRecord> records = parser.getRecords();
      return records.size() == 1
          ? records.get(0).toList().stream().map(String::strip).toList()
          : null;
    } catch (IOException | UncheckedIOException | IllegalStateException e) {
      return null;
    }
  }

  /** The error records of the error folder that the filters choose. */
  private static List<Chosen> choose(ReplayOptions options) throws IOException {
    Set<String> reasons =
        options.getReason() == null
            ? null
            : Arrays.stream(options.getReason().split(","))
                .map(String::trim)
                .collect(Collectors.toSet());
    List<Chosen> chosen = new ArrayList<>();
    List<Path> errorFiles;
    try (Stream<Path> files = Files.list(Path.of(options.getErrorDir()))) {
      errorFiles = files.filter(f -> f.toString().endsWith(".errors.jsonl")).sorted().toList();
    }
    for (Path errorFile : errorFiles) {
      for (String line : Files.readAllLines(errorFile, StandardCharsets.UTF_8)) {
        JsonNode record = JSON.readTree(line);
        String source = record.get("source").asText();
        String detected = record.get("detected_at").asText();
        if ((reasons == null || reasons.contains(record.get("reason").asText()))
            && (options.getFile() == null
                || Path.of(source).getFileName().toString().contains(options.getFile()))
            && (options.getSince() == null
                || !Instant.parse(detected).isBefore(Instant.parse(options.getSince())))
            && (options.getUntil() == null
                || Instant.parse(detected).isBefore(Instant.parse(options.getUntil())))) {
          chosen.add(
              new Chosen(
                  errorFile.getFileName().toString(),
                  source,
                  record.get("line").asLong(),
                  record.get("reason").asText(),
                  record.get("message").asText(),
                  record.get("raw").asText()));
        }
      }
    }
    return chosen;
  }

  private static Set<String> replayed(Connection connection) throws SQLException {
    Set<String> done = new HashSet<>();
    try (PreparedStatement query =
            connection.prepareStatement("SELECT error_file || ':' || line FROM replayed_errors");
        ResultSet rows = query.executeQuery()) {
      while (rows.next()) {
        done.add(rows.getString(1));
      }
    }
    return done;
  }

  /**
   * The header a source file's raw lines are under: its own if the file is still there and has one
   * (a header-mapped file's lines are in its own order), else the standard columns. ({@code
   * DB_REJECTED} lines are re-written in the standard columns whatever their file's header.)
   */
  private static String headerOf(String source) {
    try {
      return firstLine(Path.of(source))
          .filter(
              line -> {
                byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
                return LineParser.header(bytes, bytes.length) != null;
              })
          .orElse(COLUMNS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Optional<String> firstLine(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try (InputStream raw = Files.newInputStream(file);
        InputStream text = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
        BufferedReader reader =
            new BufferedReader(new InputStreamReader(text, StandardCharsets.UTF_8))) {
      String line = reader.readLine();
      return Optional.ofNullable(line).map(l -> l.replace("\uFEFF", "").strip());
    }
  }

  /**
   * Writes every logged replay file that is neither in the input folder nor in the ledger (a
   * committed file may have been archived): under a hidden name, then renamed in.
   */
  private static List<Path> landDue(Connection connection) throws SQLException, IOException {
    Map<String, List<String>> files = new LinkedHashMap<>();
    try (PreparedStatement query =
            connection.prepareStatement(
                "SELECT replay_file, header, raw FROM replayed_errors r WHERE NOT EXISTS"
                    + " (SELECT 1 FROM ingested_files f WHERE f.path = r.replay_file)"
                    + " ORDER BY replay_file, replay_line");
        ResultSet rows = query.executeQuery()) {
      while (rows.next()) {
        String header = rows.getString(2);
        files
            .computeIfAbsent(
                rows.getString(1),
                f -> new ArrayList<>(header.equals(JSON_LINES) ? List.of() : List.of(header)))
            .add(rows.getString(3));
      }
    }
    List<Path> landed = new ArrayList<>();
    for (Map.Entry<String, List<String>> file : files.entrySet()) {
      Path path = Path.of(file.getKey());
      if (Files.exists(path) || ledgerHas(connection, file.getKey())) {
        continue; // landed, and not ingested yet; or ingested meanwhile, then moved
      }
      Path hidden = path.resolveSibling("." + path.getFileName());
      Files.write(hidden, file.getValue(), StandardCharsets.UTF_8);
      Files.move(hidden, path, StandardCopyOption.ATOMIC_MOVE);
      landed.add(path);
    }
    return landed;
  }

  private static boolean ledgerHas(Connection connection, String path) throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement("SELECT 1 FROM ingested_files WHERE path = ?")) {
      query.setString(1, path);
      try (ResultSet rows = query.executeQuery()) {
        return rows.next();
      }
    }
  }
}
