package io.shopstream.pipeline.core.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.shopstream.pipeline.core.files.FileVersion;
import io.shopstream.pipeline.core.parse.ErrorRecord.Reason;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The file ledger, {@code ingested_files} (docs/reference.md): one row per committed file version,
 * written in the transaction that stores the version's rows. It alone says what was ingested.
 */
public final class Ledger {

  /** What became of a version's lines; {@code lines = stored + duplicates + skipped + errors}. */
  public record Counts(
      long lines, long stored, long duplicates, long skipped, Map<Reason, Long> errorsByReason) {
    public long errors() {
      return errorsByReason.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  private static final String MODIFIED_AT = "timestamptz 'epoch' + ? * interval '1 millisecond'";

  private static final ObjectMapper JSON = new ObjectMapper();

  private Ledger() {}

  /** Which of these versions the ledger holds. */
  public static Set<FileVersion> committed(Connection connection, Collection<FileVersion> versions)
      throws SQLException {
    Set<FileVersion> committed = new HashSet<>();
    if (versions.isEmpty()) {
      return committed;
    }
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT path, size, (extract(epoch FROM modified_at) * 1000)::bigint"
                + " FROM ingested_files WHERE path = ANY (?)")) {
      Array paths =
          connection.createArrayOf(
              "text", versions.stream().map(FileVersion::path).distinct().toArray());
      query.setArray(1, paths);
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          committed.add(new FileVersion(rows.getString(1), rows.getLong(2), rows.getLong(3)));
        }
      }
    }
    committed.retainAll(new HashSet<>(versions));
    return committed;
  }

  /**
   * Takes the lock of each of these versions that no other transaction holds, for the rest of the
   * transaction, and returns those it took, in order: one version is ingested by one reader at a
   * time, and a reader that finds one taken leaves it to the holder and goes on. So readers that
   * were all handed the same versions share them out as they go, and a version ingested before is
   * found committed under its lock.
   */
  public static List<FileVersion> claim(Connection connection, List<FileVersion> versions)
      throws SQLException {
    List<FileVersion> claimed = new ArrayList<>();
    try (PreparedStatement lock =
        connection.prepareStatement(
            "SELECT pg_try_advisory_xact_lock(hashtextextended(key, 0))"
                + " FROM unnest(?::text[]) WITH ORDINALITY AS v(key, i) ORDER BY i")) {
      lock.setArray(
          1,
          connection.createArrayOf(
              "text",
              versions.stream()
                  .map(v -> v.path() + "|" + v.size() + "|" + v.modifiedMillis())
                  .toArray()));
      try (ResultSet taken = lock.executeQuery()) {
        for (FileVersion version : versions) {
          taken.next();
          if (taken.getBoolean(1)) {
            claimed.add(version);
          }
        }
      }
    }
    return claimed;
  }

  /**
   * Files committed, how many of them had errors, and what became of their lines.
   *
   * @param withErrors the files with at least one error record
   */
  public record Totals(long files, long withErrors, Counts counts) {
    public static final Totals NONE = new Totals(0, 0, new Counts(0, 0, 0, 0, Map.of()));

    Totals plus(Totals other) {
      Map<Reason, Long> reasons = new EnumMap<>(Reason.class);
      reasons.putAll(counts.errorsByReason());
      other.counts.errorsByReason().forEach((reason, n) -> reasons.merge(reason, n, Long::sum));
      return new Totals(
          files + other.files,
          withErrors + other.withErrors,
          new Counts(
              counts.lines() + other.counts.lines(),
              counts.stored() + other.counts.stored(),
              counts.duplicates() + other.counts.duplicates(),
              counts.skipped() + other.counts.skipped(),
              reasons));
    }
  }

  /** What the ledger committed from {@code from} until before {@code to} (null: no end). */
  static Totals between(Connection connection, Instant from, Instant to) throws SQLException {
    String span = "committed_at >= ?" + (to == null ? "" : " AND committed_at < ?");
    Map<Reason, Long> errorsByReason = new EnumMap<>(Reason.class);
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT key, sum(value::bigint) FROM ingested_files, jsonb_each_text(errors_by_reason)"
                + " WHERE "
                + span
                + " GROUP BY key")) {
      bind(query, from, to);
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          errorsByReason.put(Reason.valueOf(rows.getString(1)), rows.getLong(2));
        }
      }
    }
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT count(*), count(*) FILTER (WHERE errors > 0), coalesce(sum(lines), 0),"
                + " coalesce(sum(stored), 0), coalesce(sum(duplicates), 0),"
                + " coalesce(sum(skipped), 0) FROM ingested_files WHERE "
                + span)) {
      bind(query, from, to);
      try (ResultSet rows = query.executeQuery()) {
        rows.next();
        return new Totals(
            rows.getLong(1),
            rows.getLong(2),
            new Counts(
                rows.getLong(3),
                rows.getLong(4),
                rows.getLong(5),
                rows.getLong(6),
                errorsByReason));
      }
    }
  }

  private static void bind(PreparedStatement query, Instant from, Instant to) throws SQLException {
    query.setObject(1, OffsetDateTime.ofInstant(from, ZoneOffset.UTC));
    if (to != null) {
      query.setObject(2, OffsetDateTime.ofInstant(to, ZoneOffset.UTC));
    }
  }

  /**
   * The ledger's totals from a moment on, kept without reading the whole span at every call: the
   * rows committed before a settle time are summed once and kept, and only the rows after it are
   * read each time, through the index on {@code committed_at}. A row's {@code committed_at} is
   * taken at its insert, after its transaction started and shortly before it commits, so no row may
   * become visible behind the settle time: it is the start of the oldest transaction that has
   * written and is still open, and at most the server's clock less {@code settle} (longer than any
   * transaction takes from its ledger insert to its commit: every statement and idle transaction is
   * bounded by the database timeout), for sessions the server does not show this role.
   */
  public static final class Sums {
    private final Duration settle;
    private Instant settledUntil;
    private Totals settled = Totals.NONE;

    public Sums(Instant from, Duration settle) {
      this.settledUntil = from;
      this.settle = settle;
    }

    public synchronized Totals now(Connection connection) throws SQLException {
      Instant cut;
      try (PreparedStatement clock =
          connection.prepareStatement(
              "SELECT least(clock_timestamp() - ? * interval '1 millisecond',"
                  + " (SELECT min(xact_start) FROM pg_stat_activity"
                  + " WHERE backend_xid IS NOT NULL))")) {
        clock.setLong(1, settle.toMillis());
        try (ResultSet now = clock.executeQuery()) {
          now.next();
          cut = now.getObject(1, OffsetDateTime.class).toInstant();
        }
      }
      if (cut.isAfter(settledUntil)) {
        settled = settled.plus(between(connection, settledUntil, cut));
        settledUntil = cut;
      }
      return settled.plus(between(connection, settledUntil, null));
    }
  }

  /**
   * A version's ledger row; {@code extraColumns}: per extra column name, the valid lines that held
   * a value in it.
   */
  public record Entry(
      FileVersion version,
      Instant found,
      Counts counts,
      Map<String, Long> extraColumns,
      String errorFile) {}

  /** Adds these versions' rows; the caller commits them with the versions' rows. */
  public static void record(Connection connection, List<Entry> entries, String readBy)
      throws SQLException, JsonProcessingException {
    try (PreparedStatement insert =
        connection.prepareStatement(
            "INSERT INTO ingested_files (path, size, modified_at, found_at, lines, stored,"
                + " duplicates, skipped, errors, errors_by_reason, extra_columns, error_file,"
                + " read_by) VALUES (?, ?, "
                + MODIFIED_AT
                + ", ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?)")) {
      for (Entry entry : entries) {
        Counts counts = entry.counts();
        insert.setString(1, entry.version().path());
        insert.setLong(2, entry.version().size());
        insert.setLong(3, entry.version().modifiedMillis());
        insert.setObject(4, OffsetDateTime.ofInstant(entry.found(), ZoneOffset.UTC));
        insert.setLong(5, counts.lines());
        insert.setLong(6, counts.stored());
        insert.setLong(7, counts.duplicates());
        insert.setLong(8, counts.skipped());
        insert.setLong(9, counts.errors());
        insert.setString(10, json(counts.errorsByReason()));
        insert.setString(11, JSON.writeValueAsString(entry.extraColumns()));
        insert.setString(12, entry.errorFile());
        insert.setString(13, readBy);
        insert.addBatch();
      }
      insert.executeBatch();
    }
  }

  /**
   * {@code {"BAD_PRICE": 3, ...}}: reason codes are plain identifiers, so no escaping is needed.
   */
  private static String json(Map<Reason, Long> errorsByReason) {
    return Arrays.stream(Reason.values())
        .filter(errorsByReason::containsKey)
        .map(reason -> "\"" + reason.name() + "\": " + errorsByReason.get(reason))
        .collect(Collectors.joining(", ", "{", "}"));
  }
}
